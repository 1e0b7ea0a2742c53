"""Every worker role of notify serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.settings import DatabaseSettings
from notify import __main__ as entry
from notify import bootstrap
from notify.settings import NotifySettings

#: Roles that are not long-running workers: the API serves its own probes, `run` is the full API.
NOT_WORKERS = {"api", "run", "migrate"}
#: Nothing listens on port 1: the database check fails at once, without a real database.
NOWHERE = "postgresql+asyncpg://u:p@127.0.0.1:1/none"


def dispatched_roles() -> set[str]:
    """The roles ``python -m notify`` dispatches (the keys of its ``main({...})`` call)."""
    tree = ast.parse(Path(entry.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "main":
            assert isinstance(node.args[0], ast.Dict)
            return {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
    raise AssertionError("no main({...})")


def test_every_long_running_role_but_the_api_is_a_worker_role() -> None:
    assert set(entry.WORKER_ROLES) == dispatched_roles() - NOT_WORKERS


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", entry.WORKER_ROLES)
async def test_a_worker_role_answers_probes_and_metrics_without_business_routes(role: str) -> None:
    settings = NotifySettings(env="test", db=DatabaseSettings(url=NOWHERE))
    c = bootstrap.build(settings)
    publisher = None
    if role == "consume":  # the consumer (and its dead-letter publisher) is the Kafka user
        publisher = KafkaPublisher(settings.kafka, client_id="ops-test")  # never started
        bootstrap.consumer(c, publisher)  # registers the consumer's metrics
    app = entry.ops_app(c, role, publisher)
    assert {getattr(r, "path", "") for r in app.routes} == {"/healthz", "/readyz", "/metrics"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            wanted = {"database", "kafka"} if role == "consume" else {"database"}
            assert set(ready.json()["checks"]) == wanted
            text = (await client.get("/metrics")).text
    finally:
        await c.engine.dispose()
    assert "dunghan_notify_notifications_total" in text
    if role == "consume":
        assert "dunghan_consumer_lag_records" in text
    assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in text

"""Every worker role of sync-audit serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from dunghan_common.settings import DatabaseSettings
from sync_audit import __main__ as entry
from sync_audit.bootstrap import build, build_consumer, build_relay
from sync_audit.settings import SyncAuditSettings

#: Roles that are not long-running workers: the API serves its own probes, `run` is the full API.
NOT_WORKERS = {"api", "run", "migrate"}
#: Nothing listens on port 1: the database check fails at once, without a real database.
NOWHERE = "postgresql+asyncpg://u:p@127.0.0.1:1/none"


def dispatched_roles() -> set[str]:
    """The roles ``python -m sync_audit`` dispatches (the keys of its ``main({...})`` call)."""
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
    c = build(SyncAuditSettings(env="test", db=DatabaseSettings(url=NOWHERE)))
    if role == "consume":  # building the role's parts registers its metrics
        build_consumer(c)
    else:
        build_relay(c)
    app = entry.ops_app(c, role)
    assert {getattr(r, "path", "") for r in app.routes} == {"/healthz", "/readyz", "/metrics"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert set(ready.json()["checks"]) == {"database", "kafka"}
            text = (await client.get("/metrics")).text
    finally:
        await c.engine.dispose()
    role_metric = "dunghan_consumer_lag_records" if role == "consume" else "dunghan_outbox"
    assert role_metric in text
    assert "dunghan_sync_audit_escalations_open" in text
    assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in text

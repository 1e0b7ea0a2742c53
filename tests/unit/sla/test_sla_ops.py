"""Every worker role of sla serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from sla import __main__ as entry
from sla.bootstrap import Sla
from sla.settings import SlaSettings

#: Roles that are not long-running workers: the API serves its own probes, `run` is the full API.
NOT_WORKERS = {"api", "run", "migrate"}


def dispatched_roles() -> set[str]:
    """The roles ``python -m sla`` dispatches (the keys of its ``main({...})`` call)."""
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
    sla = Sla(SlaSettings(env="test"))  # never started: nothing connects, readiness says so
    app = entry.ops_app(sla, role)
    assert {getattr(r, "path", "") for r in app.routes} == {"/healthz", "/readyz", "/metrics"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert set(ready.json()["checks"]) == {"database", "kafka"}
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        # The process's own registry: the service's metrics and the probes' latency.
        assert "dunghan_sla_timer_lag_seconds_bucket" in metrics.text
        assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in (
            metrics.text
        )
        assert (await client.get("/openapi.json")).status_code == 404

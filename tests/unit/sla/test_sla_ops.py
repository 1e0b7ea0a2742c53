"""Every worker role of sla serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import pytest
from sla import __main__ as entry
from sla.bootstrap import Sla
from sla.settings import SlaSettings

from tests.ops import NOT_WORKERS, dispatched_roles, probe_ops_app


def test_every_long_running_role_but_the_api_is_a_worker_role() -> None:
    assert set(entry.WORKER_ROLES) == dispatched_roles(entry) - NOT_WORKERS


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", entry.WORKER_ROLES)
async def test_a_worker_role_answers_probes_and_metrics_without_business_routes(role: str) -> None:
    sla = Sla(SlaSettings(env="test"))  # never started: nothing connects, readiness says so
    text = await probe_ops_app(entry.ops_app(sla, role), {"database", "kafka", "work"})
    # The process's own registry: the service's metrics and the probes' latency.
    assert "dunghan_sla_timer_lag_seconds_bucket" in text
    assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in text

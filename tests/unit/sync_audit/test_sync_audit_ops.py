"""Every worker role of sync-audit serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import pytest
from dunghan_common.settings import DatabaseSettings
from sync_audit import __main__ as entry
from sync_audit.bootstrap import build, build_consumer, build_relay
from sync_audit.settings import SyncAuditSettings

from tests.ops import NOT_WORKERS, dispatched_roles, probe_ops_app

#: Nothing listens on port 1: the database check fails at once, without a real database.
NOWHERE = "postgresql+asyncpg://u:p@127.0.0.1:1/none"


def test_every_long_running_role_but_the_api_is_a_worker_role() -> None:
    assert set(entry.WORKER_ROLES) == dispatched_roles(entry) - NOT_WORKERS - set(entry.COMMANDS)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", entry.WORKER_ROLES)
async def test_a_worker_role_answers_probes_and_metrics_without_business_routes(role: str) -> None:
    c = build(SyncAuditSettings(env="test", db=DatabaseSettings(url=NOWHERE)))
    if role == "consume":  # building the role's parts registers its metrics
        build_consumer(c)
    else:
        build_relay(c)
    try:
        text = await probe_ops_app(entry.ops_app(c, role), {"database", "kafka", "work"})
    finally:
        await c.engine.dispose()
    role_metric = "dunghan_consumer_lag_records" if role == "consume" else "dunghan_outbox"
    assert role_metric in text
    assert "dunghan_sync_audit_escalations_open" in text
    assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in text

"""Every worker role of notify serves the operations app: probes and the process's metrics."""

from __future__ import annotations

import pytest
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.settings import DatabaseSettings
from notify import __main__ as entry
from notify import bootstrap
from notify.adapters.metrics import NotifyMetrics
from notify.settings import NotifySettings
from prometheus_client import CollectorRegistry

from tests.ops import NOT_WORKERS, dispatched_roles, probe_ops_app

#: Nothing listens on port 1: the database check fails at once, without a real database.
NOWHERE = "postgresql+asyncpg://u:p@127.0.0.1:1/none"


def test_every_long_running_role_but_the_api_is_a_worker_role() -> None:
    assert set(entry.WORKER_ROLES) == dispatched_roles(entry) - NOT_WORKERS


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("role", entry.WORKER_ROLES)
async def test_a_worker_role_answers_probes_and_metrics_without_business_routes(role: str) -> None:
    settings = NotifySettings(env="test", db=DatabaseSettings(url=NOWHERE))
    c = bootstrap.build(settings)
    publisher = None
    kafka_users = ("consume", "schedule")  # dead letters; their erasure with purged contacts
    if role in kafka_users:
        publisher = KafkaPublisher(settings.kafka, client_id="ops-test")  # never started
    if role == "consume":
        bootstrap.consumer(c, publisher)  # type: ignore[arg-type]  # registers its metrics
    wanted = {"database", "work", "kafka"} if role in kafka_users else {"database", "work"}
    try:
        text = await probe_ops_app(entry.ops_app(c, role, publisher), wanted)
    finally:
        await c.engine.dispose()
    assert "dunghan_notify_notifications_total" in text
    if role == "consume":
        assert "dunghan_consumer_lag_records" in text
    assert 'dunghan_http_request_duration_seconds_count{method="GET",route="/healthz"' in text


def test_the_letter_alerts_counters_are_exported_at_zero_from_the_start() -> None:
    # A counter first seen at 1 shows no increase(): the first occurrence would not alert.
    registry = CollectorRegistry()
    metrics = NotifyMetrics(registry)
    value = registry.get_sample_value
    assert value("dunghan_notify_letters_issued_unapproved_total") == 0
    for role in ("service_centre", "processing_unit"):
        labels = {"recipient_role": role}
        assert value("dunghan_notify_letter_copies_unaddressed_total", labels) == 0
    for where in ("api", "delivery"):
        assert value("dunghan_notify_contacts_unreadable_total", {"where": where}) == 0
    metrics.unaddressed("processing_unit")
    metrics.contact_unreadable("delivery")
    metrics.issued_unapproved.inc(2)
    assert value("dunghan_notify_letters_issued_unapproved_total") == 2
    labels = {"recipient_role": "processing_unit"}
    assert value("dunghan_notify_letter_copies_unaddressed_total", labels) == 1
    assert value("dunghan_notify_contacts_unreadable_total", {"where": "delivery"}) == 1

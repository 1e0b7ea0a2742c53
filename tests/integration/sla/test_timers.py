"""The due-time queue on the real database and broker: each timer fires once, in order."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from dunghan_common.clock import FakeClock
from dunghan_common.events import decode_event
from dunghan_common.events.findings import ALERT_MODELS
from sla.bootstrap import Sla, asyncpg_dsn
from sla.usecases import FireDueTimers

from tests import support
from tests.integration.sla.events import cloud_event, received, slim

pytestmark = pytest.mark.asyncio(loop_scope="session")
TZ = dt.timezone(dt.timedelta(hours=7))
AFTER_DUE = dt.datetime(2026, 11, 16, 18, 0, tzinfo=TZ)
DOSSIERS = 120


def reception_events() -> list:
    """Dossiers received Monday 16/11/2026 07:00 with one working day: due 17:00 that day."""
    return slim([received(f"D-{n:04d}", "2026-11-16 07:00", 1) for n in range(DOSSIERS)])


async def started(settings, now: dt.datetime) -> Sla:
    """A started replica with a fake clock."""
    sla = Sla(settings, clock=FakeClock(now))
    await sla.start()
    return sla


async def drain(ticker: FireDueTimers) -> int:
    """Tick until nothing is due; return how many timers this replica fired."""
    fired = 0
    while batch := await ticker.execute():
        fired += len(batch)
        await asyncio.sleep(0)  # let the other replica interleave
    return fired


async def test_breach_fires_once_with_two_replicas_and_across_a_restart(sla_settings) -> None:
    events = reception_events()
    first = await started(sla_settings, AFTER_DUE)
    second = await started(sla_settings, AFTER_DUE)
    try:
        await first.projector().execute(events)
        one, two = first.ticker(), second.ticker()
        one.limit = two.limit = 7  # many small transactions, so the replicas interleave
        counts = await asyncio.gather(drain(one), drain(two))
    finally:
        await first.stop()
        await second.stop()
    restarted = await started(sla_settings, AFTER_DUE + dt.timedelta(hours=1))
    try:
        await restarted.projector().execute(events)  # a replay must not re-arm fired timers
        again = await drain(restarted.ticker())
    finally:
        await restarted.stop()
    conn = await asyncpg.connect(asyncpg_dsn(sla_settings.db.url))
    try:
        pending = await conn.fetchval("SELECT count(*) FROM sla_timers")
        queued = await conn.fetchval("SELECT count(*) FROM sla_outbox")
    finally:
        await conn.close()
    assert sum(counts) == 2 * DOSSIERS
    assert min(counts) > 0  # both replicas took part
    assert (again, pending, queued) == (0, 0, 2 * DOSSIERS)


async def test_timers_wait_for_their_time_and_alerts_reach_the_topic(sla_settings) -> None:
    before = dt.datetime(2026, 11, 16, 16, 0, tzinfo=TZ)  # apology window open, breach not yet
    sla = await started(sla_settings, before)
    try:
        await sla.projector().execute(reception_events()[:3])
        early = await drain(sla.ticker())
        sla.clock.set(AFTER_DUE)  # type: ignore[attr-defined]
        late = await drain(sla.ticker())
        relay = sla.relay()
        while await relay.relay_once():
            pass
    finally:
        await sla.stop()
    alerts = await consume(sla_settings.sla.alerts_topic, 6)
    kinds = sorted(a.type for a in alerts)
    assert (early, late) == (3, 3)
    assert kinds == ["sla.apology_window_opened"] * 3 + ["sla.deadline_breached"] * 3
    assert len({a.id for a in alerts}) == 6
    breach = next(a for a in alerts if a.type == "sla.deadline_breached")
    data = ALERT_MODELS[breach.type].model_validate(breach.data)
    assert data.breached_at == dt.datetime(2026, 11, 16, 17, 0, tzinfo=TZ)  # type: ignore[attr-defined]
    assert breach.id == f"{breach.subject}:breach:2026-11-16T17:00:00+07:00"


async def test_a_deadline_already_past_waits_until_the_dossier_s_events_stop_arriving(
    sla_settings,
) -> None:
    """A replay or a sender's backlog: dossiers long overdue arrive now, their finish perhaps
    among the next events. Their timers wait out the quiet period after each dossier's latest
    change, then fire once, and the alerts speak of their own times."""
    options = sla_settings.sla.model_copy(update={"quiet_s": 30.0})
    sla = await started(sla_settings.model_copy(update={"sla": options}), AFTER_DUE)
    clock = sla.clock
    assert isinstance(clock, FakeClock)
    try:
        await sla.projector().execute(reception_events()[:3])
        held = await drain(sla.ticker())
        clock.set(AFTER_DUE + dt.timedelta(seconds=20))
        assigned = cloud_event("D-0000", "dossier.assigned", "2026-11-16 08:00",
                               {"assignee": {"id": "cb-1"}})  # fmt: skip
        await sla.projector().execute(slim([assigned]))  # D-0000 changed again: its wait restarts
        still = await drain(sla.ticker())
        clock.set(AFTER_DUE + dt.timedelta(seconds=31))
        others = await drain(sla.ticker())
        clock.set(AFTER_DUE + dt.timedelta(seconds=51))
        last = await drain(sla.ticker())
        relay = sla.relay()
        while await relay.relay_once():
            pass
    finally:
        await sla.stop()
    assert (held, still, others, last) == (0, 0, 4, 2)
    alerts = await consume(sla_settings.sla.alerts_topic, 6)
    due = dt.datetime(2026, 11, 16, 17, 0, tzinfo=TZ)
    for alert in alerts:
        data = ALERT_MODELS[alert.type].model_validate(alert.data)
        if alert.type == "sla.deadline_breached":
            assert data.breached_at == due  # type: ignore[attr-defined]
        else:
            assert data.window_opened_at < due  # type: ignore[attr-defined]
            assert alert.time == data.window_opened_at  # type: ignore[attr-defined]


async def consume(topic: str, count: int) -> list:
    """Read ``count`` service events from a topic, and make sure no more follow."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=support.kafka_bootstrap(),
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    got = []
    try:
        async with asyncio.timeout(20):
            while len(got) < count:
                for part in (await consumer.getmany(timeout_ms=500)).values():
                    got.extend(part)
        extra = await consumer.getmany(timeout_ms=1000)
    finally:
        await consumer.stop()
    assert not any(extra.values())
    return [decode_event(r.value, r.headers) for r in got]

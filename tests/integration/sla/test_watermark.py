"""The event-time watermark on the real broker and database: timers wait until the projection has
applied every event that could still cancel them, whatever the wall clock says."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from dunghan_common.clock import FakeClock
from sla.bootstrap import Sla, asyncpg_dsn
from sla.domain.watermark import PartitionProgress
from sla.settings import SlaSettings

from tests import support
from tests.integration.sla.events import cloud_event, received, record, slim

pytestmark = pytest.mark.asyncio(loop_scope="session")
TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # long after every due date below
FILLERS = 40


async def publish(topic: str, partition: int, events: list[dict[str, Any]]) -> None:
    """Put events, in this order, into one partition of the topic."""
    producer = AIOKafkaProducer(bootstrap_servers=support.kafka_bootstrap(), acks="all")
    await producer.start()
    try:
        for raw in events:
            out = record(topic, raw)
            await producer.send_and_wait(
                topic, out.value, key=out.key, headers=out.headers, partition=partition
            )
    finally:
        await producer.stop()


async def fired_kinds(settings: SlaSettings) -> dict[str, list[str]]:
    """The fired log: the timers fired per dossier (not the announcements of ends and flags)."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.db.url))
    try:
        rows = await conn.fetch(
            "SELECT dossier_id, kind FROM sla_fired WHERE kind IN ('apology_window', 'breach')"
            " ORDER BY dossier_id, kind"
        )
    finally:
        await conn.close()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["dossier_id"], []).append(r["kind"])
    return out


@contextlib.asynccontextmanager
async def consuming(sla: Sla) -> AsyncIterator[None]:
    """The projector consuming the events topic for the block's duration."""
    consumer = sla.consumer(sla.projector())
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until_applied(sla: Sla, topic: str, count: int) -> None:
    """Wait (bounded) until partition 0's first ``count`` records are applied."""
    async with asyncio.timeout(60):
        while await applied(sla, topic, 0) < count:
            await asyncio.sleep(0.05)


async def applied(sla: Sla, topic: str, partition: int) -> int:
    """The projector's applied offset of a partition (0 before its first batch)."""
    assert sla.pool is not None
    sql = "SELECT applied_offset FROM sla_progress WHERE topic = $1 AND partition = $2"
    return int(await sla.pool.fetchval(sql, topic, partition) or 0)


async def test_an_on_time_finish_later_in_the_topic_never_breaches(sla_settings) -> None:
    # Received Thu 1/10/2026 with 5 working days: due Wed 7/10 17:00, apology window 6/10 17:00.
    # ON-TIME finishes Mon 5/10, forty records after its reception; LATE never finishes.
    topic = sla_settings.sla.events_topic
    story = [
        received("ON-TIME", "2026-10-01 08:00", 5),
        received("LATE", "2026-10-01 08:00", 5),
        *(received(f"F-{n:02d}", "2026-10-02 08:00", 60) for n in range(FILLERS)),
        cloud_event("ON-TIME", "result_ready", "2026-10-05 09:00", {}),
        received("LAST", "2026-10-20 08:00", 60),
    ]
    await publish(topic, 0, story)
    # One record per consumed batch: the finish is projected many batches after the reception,
    # while a ticker that believed the wall clock would already have fired ON-TIME's breach.
    kafka = sla_settings.kafka.model_copy(update={"consumer_max_records": 1})
    settings = sla_settings.model_copy(update={"kafka": kafka})
    sla = Sla(settings, clock=FakeClock(NOW))
    await sla.start()
    ticking = asyncio.create_task(sla.tick_forever())  # the ticker starts first
    await asyncio.sleep(0.3)
    try:
        async with consuming(sla):
            await until_applied(sla, topic, len(story))
            await asyncio.sleep(0.5)  # several ticks after the catch-up
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)
        await sla.stop()
    assert await fired_kinds(settings) == {"LATE": ["apology_window", "breach"]}


async def test_a_partition_behind_holds_the_timers_of_every_partition(sla_settings) -> None:
    # Partition 0: EARLY (due Mon 28/9/2026 17:00) and LATE (due 7/10 17:00), both applied.
    # Partition 1: two receptions, 2/10 and 1/11, applied one at a time.
    topic = sla_settings.sla.events_topic
    zero = [received("EARLY", "2026-09-28 08:00", 1), received("LATE", "2026-10-01 08:00", 5)]
    one = [received("P1-A", "2026-10-02 08:00", 60), received("P1-B", "2026-11-02 08:00", 60)]
    await publish(topic, 0, zero)
    await publish(topic, 1, one)
    sla = Sla(sla_settings, clock=FakeClock(NOW))
    await sla.start()
    try:
        project, ticker = sla.projector(), sla.ticker()

        async def apply(raw: list[dict[str, Any]], partition: int, offset: int) -> list[str]:
            events = slim(raw)
            progress = PartitionProgress(topic, partition, offset, max(e.time for e in events))
            await project.execute(events, [progress])
            return [f"{f.dossier.dossier_id}:{f.kind}" for f in await ticker.execute()]

        held = await apply(zero, 0, 2)  # partition 1 has records nothing applied: hold all
        early = await apply(one[:1], 1, 1)  # partition 1 behind at 2/10 08:00
        rest = await apply(one[1:], 1, 2)  # every partition caught up: the watermark is now
    finally:
        await sla.stop()
    assert held == []
    assert early == ["EARLY:apology_window", "EARLY:breach"]
    assert ticker.watermark == NOW
    assert rest == ["LATE:apology_window", "LATE:breach"]

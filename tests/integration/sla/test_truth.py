"""Whole histories against the real database and broker: a verdict overturned by late events,
a stale writer, an event dated 2099 and a wall clock that jumps ahead fire nothing wrong."""

from __future__ import annotations

import datetime as dt

import asyncpg
import orjson
import pytest
from dunghan_common.clock import FakeClock
from sla.bootstrap import Sla, asyncpg_dsn
from sla.domain.fold import fold_from
from sla.domain.timers import plan_timers
from sla.usecases import FireDueTimers

from tests.integration.sla.events import cloud_event, received, slim
from tests.integration.sla.test_watermark import consuming, publish, until_applied

pytestmark = pytest.mark.asyncio(loop_scope="session")
TZ = dt.timezone(dt.timedelta(hours=7))
AFTER = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # after every due date below


async def started(settings, now: dt.datetime) -> Sla:
    sla = Sla(settings, clock=FakeClock(now))
    await sla.start()
    return sla


async def drain(ticker: FireDueTimers) -> list[str]:
    fired = []
    while batch := await ticker.execute():
        fired += [f"{f.dossier.dossier_id}:{f.kind}" for f in batch]
    return fired


async def announced(sla: Sla, dossier: str) -> list[str]:
    """The types of the alerts queued in the outbox for a dossier, in order."""
    assert sla.pool is not None
    rows = await sla.pool.fetch(
        "SELECT headers FROM sla_outbox WHERE key = $1 ORDER BY id", dossier.encode()
    )
    return [dict((k, v) for k, v in _pairs(r["headers"]))["ce_type"] for r in rows]


def _pairs(headers: object) -> list[tuple[str, str]]:
    raw = orjson.loads(headers) if isinstance(headers, str | bytes) else headers
    return [(str(k), str(v)) for k, v in raw]  # type: ignore[union-attr]


async def test_late_pause_events_overturn_a_fired_breach_once(sla_settings) -> None:
    # Received Mon 5/10/2026 08:00, 2 working days: due Tue 6/10 17:00.
    sla = await started(sla_settings, AFTER)
    try:
        project = sla.projector()
        await project.execute(slim([received("FLIP", "2026-10-05 08:00", 2)]))
        assert await drain(sla.ticker()) == ["FLIP:apology_window", "FLIP:breach"]
        # Days later the pause comes in (Mon 08:30 → Thu 17:00), and the finish on Thu 16:00.
        late = slim(
            [
                cloud_event(
                    "FLIP", "paused", "2026-10-05 08:30", {"kind": "verification", "reason": "x"}
                ),
                cloud_event("FLIP", "resumed", "2026-10-08 17:00", {}),
                cloud_event("FLIP", "result_ready", "2026-10-08 16:00", {}),
            ]
        )
        [state] = await project.execute(late)
        await project.execute(late)  # redelivered: nothing more is said
        said = await announced(sla, "FLIP")
        assert sla.pool is not None
        verdict = await sla.pool.fetchval(
            "SELECT verdict FROM sla_dossiers WHERE dossier_id = 'FLIP'"
        )
    finally:
        await sla.stop()
    assert state.finished_timeliness == "early"
    assert said.count("sla.verdict_revised") == 1
    assert said.count("sla.finished") == 1
    assert said.index("sla.deadline_breached") < said.index("sla.verdict_revised")
    assert orjson.loads(verdict)["t"] == "early"
    assert orjson.loads(verdict)["n"] == 1


async def test_a_stale_writer_neither_rearms_timers_nor_speaks(sla_settings) -> None:
    sla = await started(sla_settings, AFTER)
    try:
        reception = slim([received("STALE", "2026-10-01 08:00", 5)])
        finish = slim([cloud_event("STALE", "result_ready", "2026-10-02 09:00", {})])
        project = sla.projector()
        await project.execute(reception + finish)
        # A replica that lost the partition folded the reception alone and commits last.
        stale = fold_from(None, "STALE", reception, sla.rules, sla.calendar)
        timers = plan_timers(stale.state, sla.rules, sla.calendar)
        assert timers  # the stale fold wants timers: the store must refuse them
        await project.store.save(reception, [stale], timers, [], ())
        assert sla.pool is not None
        pending = await sla.pool.fetchval(
            "SELECT count(*) FROM sla_timers WHERE dossier_id = 'STALE'"
        )
        finished = await sla.pool.fetchval(
            "SELECT finished_at FROM sla_dossiers WHERE dossier_id = 'STALE'"
        )
        fired = await drain(sla.ticker())
    finally:
        await sla.stop()
    assert (pending, fired) == (0, [])
    assert finished is not None


async def test_an_event_dated_2099_neither_ends_a_dossier_nor_moves_the_watermark(
    sla_settings,
) -> None:
    topic = sla_settings.sla.events_topic
    story = [
        received("FUTURE", "2026-10-01 08:00", 5),  # due Thu 8/10 17:00
        cloud_event("FUTURE", "result_ready", "2099-01-01 08:00", {}),
        received("OTHER", "2026-10-02 08:00", 60),
    ]
    await publish(topic, 0, story)
    sla = await started(sla_settings, AFTER)
    try:
        async with consuming(sla):
            await until_applied(sla, topic, len(story))
        assert sla.pool is not None
        finished = await sla.pool.fetchval(
            "SELECT finished_at FROM sla_dossiers WHERE dossier_id = 'FUTURE'"
        )
        newest = await sla.pool.fetchval(
            "SELECT max(max_event_time) FROM sla_progress WHERE topic = $1", topic
        )
        fired = await drain(sla.ticker())
    finally:
        await sla.stop()
    assert finished is None
    assert newest < dt.datetime(2027, 1, 1, tzinfo=TZ)
    assert "FUTURE:breach" in fired


async def test_a_wall_clock_ahead_of_the_database_fires_nothing_until_they_agree(
    sla_settings,
) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(sla_settings.db.url))
    try:
        db_now: dt.datetime = await conn.fetchval("SELECT now()")
    finally:
        await conn.close()
    reception = (db_now - dt.timedelta(days=10)).astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    sla = await started(sla_settings, db_now + dt.timedelta(days=30))  # a jump of a month
    try:
        await sla.projector().execute(slim([received("JUMP", reception, 1)]))
        ticker = sla.ticker()
        held = await drain(ticker)
        skew = ticker.skew
        sla.clock.set(db_now)  # type: ignore[attr-defined]
        fired = await drain(sla.ticker())
    finally:
        await sla.stop()
    assert held == []
    assert skew > dt.timedelta(days=29)
    assert sorted(fired) == ["JUMP:apology_window", "JUMP:breach"]

"""SLA benchmark: R6 (COPY ceiling), R7 (server-side upsert ceiling), G3 (projection catch-up),
G4 (detection cost per tick vs. pending timers) and G5 (a burst of deadlines due at once).

Every run uses a fresh database (dropped after) and fresh topics on the local stack.
``run(smoke=True)`` uses tiny sizes so CI finishes in seconds on the same code paths.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dunghan_common.clock import FakeClock  # noqa: E402
from dunghan_common.db.migrations import upgrade  # noqa: E402
from dunghan_common.events import parse_event, to_kafka  # noqa: E402
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord  # noqa: E402
from dunghan_common.settings import DatabaseSettings, KafkaSettings  # noqa: E402
from sla.adapters.rows import STATE_FIELDS  # noqa: E402
from sla.bootstrap import Sla, asyncpg_dsn  # noqa: E402
from sla.settings import SlaOptions, SlaSettings  # noqa: E402

from tests import support  # noqa: E402

MIGRATIONS = ROOT / "services" / "sla" / "src" / "sla" / "migrations"
TZ = dt.timezone(dt.timedelta(hours=7))
# A catch-up that has not ended by then never will: the row says so instead of hanging the run.
CATCH_UP_LIMIT_S = 900

# Never due, neither by the bench's fake clock nor by the system clock of the lateness runs.
FAR_FUTURE = dt.datetime(2100, 1, 4, 9, 0, tzinfo=dt.UTC)
# N pending breach timers, far in the future, made server-side (10⁷ rows never cross the wire).
TIMERS_SQL = """
INSERT INTO sla_timers (dossier_id, kind, occasion, due_at, fire_at)
SELECT 'bulk-' || i, 'breach', 'bulk', $3::timestamptz + make_interval(secs => i % 864000),
       $3::timestamptz + make_interval(secs => i % 864000)
  FROM generate_series($1::bigint, $2::bigint - 1) AS i
"""
# $2 open dossiers (prefix $1) due at $3, each with its breach timer due at $3.
OPEN_DOSSIERS_SQL = """
WITH d AS (
  INSERT INTO sla_dossiers (dossier_id, status, unit_code, procedure_code, channel, fee_required,
    e_result_required, received_at, clock_started_at, computed_due_at, due_at, clock_state,
    paused_seconds, flags, paid_online, digitized, synced, event_count)
  SELECT $1::text || i, 'processing', '000.00.' || lpad((i % 100)::text, 2, '0') || '.H50',
         '1.004227', 'online', false, true, $3::timestamptz - interval '3 days',
         $3::timestamptz - interval '3 days', $3, $3, 'running', 0, '{}'::jsonb,
         false, false, false, 1
    FROM generate_series(1, $2::int) AS i
  RETURNING dossier_id, due_at
)
INSERT INTO sla_timers (dossier_id, kind, occasion, due_at, fire_at)
SELECT dossier_id, 'breach', due_at::text, due_at, due_at FROM d
"""

# $2 open dossiers (prefix $1) due one after another from $3, $4 seconds apart, with breach timers.
SPREAD_DOSSIERS_SQL = """
WITH d AS (
  INSERT INTO sla_dossiers (dossier_id, status, unit_code, procedure_code, channel, fee_required,
    e_result_required, received_at, clock_started_at, computed_due_at, due_at, clock_state,
    paused_seconds, flags, paid_online, digitized, synced, event_count)
  SELECT $1::text || i, 'processing', '000.00.12.H50', '1.004227', 'online', false, true,
         $3::timestamptz - interval '3 days', $3::timestamptz - interval '3 days',
         $3::timestamptz + make_interval(secs => i * $4::float8),
         $3::timestamptz + make_interval(secs => i * $4::float8), 'running', 0, '{}'::jsonb,
         false, false, false, 1
    FROM generate_series(0, $2::int - 1) AS i
  RETURNING dossier_id, due_at
)
INSERT INTO sla_timers (dossier_id, kind, occasion, due_at, fire_at)
SELECT dossier_id, 'breach', due_at::text, due_at, due_at FROM d
"""
# p99 of (fired_at − due_at) in seconds of the breaches of the dossiers prefixed $1.
LATENESS_SQL = """
SELECT count(*), percentile_cont(0.99) WITHIN GROUP (
         ORDER BY extract(epoch FROM f.fired_at - d.due_at))
  FROM sla_fired f JOIN sla_dossiers d USING (dossier_id)
 WHERE f.kind = 'breach' AND f.dossier_id LIKE $1 || '%'
"""


def projection_rows(count: int) -> list[tuple[Any, ...]]:
    """``count`` dossier rows in ``STATE_FIELDS`` order, shaped like the projection's."""
    base = dt.datetime(2026, 3, 2, 7, 0, tzinfo=TZ)
    rows = []
    for n in range(count):
        received = base + dt.timedelta(minutes=n % 50_000)
        values: dict[str, Any] = {name: None for name in STATE_FIELDS}
        values.update(
            dossier_id=f"000.00.12.H50-260302-{n:07d}",
            status="processing",
            unit_code=f"000.00.{n % 100:02d}.H50",
            procedure_code="1.004227",
            procedure_name="Cấp giấy phép xây dựng",
            channel="online",
            assignee_id="cb-1",
            fee_required=True,
            e_result_required=True,
            received_at=received,
            clock_started_at=received,
            computed_due_at=received + dt.timedelta(days=3),
            due_at=received + dt.timedelta(days=3),
            clock_state="running",
            paused_seconds=0,
            flags="{}",
            paid_online=False,
            digitized=False,
            synced=True,
            event_count=4,
            last_event_at=received,
        )
        rows.append(tuple(values[name] for name in STATE_FIELDS))
    return rows


def dossier_story(n: int) -> list[dict[str, Any]]:
    """Eleven events of one dossier, as ingest puts them on `dossier-events`."""
    code = f"000.00.12.H50-260302-{n:07d}"
    day = dt.date(2026, 3, 2) + dt.timedelta(days=(n % 20) // 5 * 7 + n % 5)  # weekdays
    steps = [
        (
            "dossier.received",
            7,
            {
                "unit_code": f"000.00.{n % 100:02d}.H50",
                "procedure": {"code": "1.004227", "name": "Cấp giấy phép xây dựng"},
                "time_limit": {"value": 3, "unit": "working_days"},
                "channel": "online",
                "fee_required": True,
                "assignee": {"id": "cb-1", "name": "Cán bộ"},
            },
        ),
        ("dossier.assigned", 8, {"assignee": {"id": "cb-2", "name": "Cán bộ"}}),
        ("dossier.supplement_requested", 9, {"reason": "Thiếu bản vẽ"}),
        ("dossier.supplement_received", 10, {}),
        ("dossier.paused", 11, {"kind": "financial_obligation", "reason": "Chờ nộp phí"}),
        ("dossier.resumed", 13, {}),
        ("payment.completed", 14, {"amount": 500000, "method": "online_national_portal"}),
        ("portal.sync_succeeded", 15, {"status_code": 4}),
        ("dossier.result_ready", 16, {}),
        (
            "dossier.result_digitized",
            16,
            {"file_url": "https://kho.example.vn/r", "stored_in_data_warehouse": True},
        ),
        ("dossier.returned", 17, {"channel": "online"}),
    ]
    return [
        {
            "specversion": "1.0",
            "id": f"{code}-{k}",
            "source": "igate-quangtri",
            "type": t,
            "time": dt.datetime.combine(day, dt.time(hour, k), TZ).isoformat(),
            "subject": code,
            "data": data,
        }
        for k, (t, hour, data) in enumerate(steps)
    ]


async def prefill_topic(settings: SlaSettings, dossiers: int) -> int:
    """Publish every dossier's story to the events topic; return the number of events."""
    publisher = KafkaPublisher(settings.kafka)
    await publisher.start()
    total = 0
    try:
        for first in range(0, dossiers, 500):
            chunk = []
            for n in range(first, min(first + 500, dossiers)):
                for raw in dossier_story(n):
                    m = to_kafka(parse_event(raw, form="topic"))
                    chunk.append(
                        OutgoingRecord(settings.sla.events_topic, m.value, m.key, m.headers)
                    )
            await publisher.publish(chunk, timeout_s=60)
            total += len(chunk)
    finally:
        await publisher.stop()
    return total


def row(
    id_: str,
    what: str,
    figure: str,
    value: float,
    ratio: float | None,
    target: str,
    met: bool | None,
) -> dict[str, Any]:
    """One result row of the driver's table."""
    return {
        "id": id_,
        "what": what,
        "figure": figure,
        "value": value,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


async def fresh_database() -> tuple[str, str]:
    """Create and migrate a database; return its name and SQLAlchemy URL."""
    name = support.unique("bench_sla")
    await support.create_database(name)
    url = support.sqlalchemy_url(name)
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    return name, url


async def r6_copy(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> float:
    """C_copy: rows/s of ``copy_records_to_table`` into an unlogged table of the row shape."""
    await conn.execute("CREATE UNLOGGED TABLE r6 (LIKE sla_dossiers)")
    started = time.perf_counter()
    await conn.copy_records_to_table("r6", records=rows, columns=list(STATE_FIELDS))
    return len(rows) / (time.perf_counter() - started)


async def r7_upsert(conn: asyncpg.Connection, count: int) -> float:
    """U_srv: rows/s of INSERT … SELECT … ON CONFLICT DO UPDATE from staging, real indexes."""
    cols = ", ".join(STATE_FIELDS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in STATE_FIELDS if c != "dossier_id")
    sql = (
        f"INSERT INTO sla_dossiers ({cols}) SELECT {cols} FROM r6 "
        f"ON CONFLICT (dossier_id) DO UPDATE SET {sets}"
    )
    await conn.execute(sql)  # first pass inserts; the measured pass updates every row
    await conn.execute("VACUUM ANALYZE sla_dossiers")
    started = time.perf_counter()
    await conn.execute(sql)
    rate = count / (time.perf_counter() - started)
    await conn.execute("TRUNCATE sla_dossiers")
    return rate


async def g3_projection(settings: SlaSettings, dossiers: int) -> tuple[float, float, int]:
    """Events/s of the projector catching up over a pre-filled topic; round trips per batch."""
    total = await prefill_topic(settings, dossiers)
    # After every story (they end in March 2026): an event ahead of the clock is applied as nothing.
    sla = Sla(settings, clock=FakeClock(dt.datetime(2026, 4, 1, tzinfo=TZ)))
    await sla.start()
    project = sla.projector()
    store = project.store
    batches, started = 0, 0.0
    load = store.load

    async def counted(events: Any) -> Any:  # one call per consumed batch
        nonlocal batches, started
        if batches == 0:  # the clock starts at the first batch, after the group join
            started = time.perf_counter()
        batches += 1
        return await load(events)

    store.load = counted  # type: ignore[method-assign]
    consumer = sla.consumer(project)
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    deadline = time.monotonic() + CATCH_UP_LIMIT_S
    try:
        while not task.done():
            if await _finished_dossiers(sla) >= dossiers:
                break
            if time.monotonic() > deadline:
                folded = await _finished_dossiers(sla)
                limit = CATCH_UP_LIMIT_S
                raise TimeoutError(f"G3: {folded} of {dossiers} dossiers folded in {limit} s")
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sla.stop()
    statements = store.statements  # type: ignore[attr-defined]
    return total / elapsed, statements / max(batches, 1), total


async def _finished_dossiers(sla: Sla) -> int:
    """Dossiers folded from their whole story."""
    assert sla.pool is not None
    return int(await sla.pool.fetchval("SELECT count(*) FROM sla_dossiers WHERE event_count >= 11"))


def eligible(settings: SlaSettings) -> dt.timedelta:
    """How long after its due a timer is eligible once the projection is caught up (G3 leaves
    the bench topic consumed): the watermark margin, plus a second."""
    return dt.timedelta(seconds=settings.sla.watermark_margin_s + 1)


async def g4_tick_cost(
    settings: SlaSettings, sizes: list[int], lateness_window_s: float
) -> dict[int, tuple[float, float, int]]:
    """Per N pending timers (bulk-made server-side): the median seconds of a tick (100 due),
    and the p99 lateness (fired_at − due_at) of breaches due across a window, real time."""
    fire = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    results: dict[int, tuple[float, float, int]] = {}
    sla = Sla(settings, clock=FakeClock(fire + eligible(settings)))
    await sla.start()
    assert sla.pool is not None
    try:
        made = 0
        for size in sizes:
            await sla.pool.execute(TIMERS_SQL, made, size, FAR_FUTURE)
            made = size
            await sla.pool.execute("VACUUM ANALYZE sla_timers")
            samples = []
            for round_ in range(7):
                await sla.pool.execute(OPEN_DOSSIERS_SQL, f"g4-{size}-{round_}-", 100, fire)
                ticker = sla.ticker()
                started = time.perf_counter()
                fired = await ticker.execute()
                samples.append(time.perf_counter() - started)
                assert len(fired) == 100, len(fired)
            p99, count = await g4_lateness(settings, size, lateness_window_s)
            results[size] = (statistics.median(samples), p99, count)
    finally:
        await sla.stop()
    return results


async def g4_lateness(settings: SlaSettings, size: int, window_s: float) -> tuple[float, int]:
    """p99 seconds from due to fired of breaches due across ``window_s`` while the real tick
    loop (``Sla.tick_forever``, system clock, ``tick_interval_s``) runs; and how many fired."""
    sla = Sla(settings)  # the system clock: lateness is real time
    await sla.start()
    assert sla.pool is not None
    prefix = f"g4l-{size}-"
    count = max(int(window_s * 50), 10)  # 50 due per second
    start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    try:
        await sla.pool.execute(SPREAD_DOSSIERS_SQL, prefix, count, start, window_s / count)
        loop = asyncio.create_task(sla.tick_forever())
        margin = settings.sla.watermark_margin_s  # timers become eligible that much after due
        await asyncio.sleep(1 + window_s + margin + settings.sla.tick_interval_s + 0.5)
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        fired, p99 = await sla.pool.fetchrow(LATENESS_SQL, prefix)
    finally:
        await sla.stop()
    return float(p99 or 0.0), int(fired)


async def g5_burst(settings: SlaSettings, count: int) -> tuple[float, int, int, int]:
    """Seconds to fire ``count`` breaches due at the same instant with two replicas."""
    due = dt.datetime(2026, 2, 23, 7, 0, tzinfo=TZ)  # the first working morning after Tết 2026
    replicas = [Sla(settings, clock=FakeClock(due + eligible(settings))) for _ in range(2)]
    for sla in replicas:
        await sla.start()
    pool = replicas[0].pool
    assert pool is not None
    try:
        await pool.execute(OPEN_DOSSIERS_SQL, "g5-", count, due)
        largest = 0

        async def drain(sla: Sla) -> None:
            nonlocal largest
            ticker = sla.ticker()
            while batch := await ticker.execute():
                largest = max(largest, len(batch))

        started = time.perf_counter()
        await asyncio.gather(*(drain(sla) for sla in replicas))
        elapsed = time.perf_counter() - started
        queued, distinct = await pool.fetchrow(
            "SELECT count(*), count(DISTINCT headers) FROM sla_outbox"
            " WHERE convert_from(key, 'UTF8') LIKE 'g5-%'"
        )
    finally:
        for sla in replicas:
            await sla.stop()
    return elapsed, queued, distinct, largest


def settings_for(url: str, topic: str) -> SlaSettings:
    """Service settings on the bench database and topic."""
    return SlaSettings(
        env="test",
        db=DatabaseSettings(url=url),
        kafka=KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
        sla=SlaOptions(
            events_topic=topic,
            alerts_topic=topic + "-alerts",
            consumer_group=f"bench-{uuid.uuid4().hex[:8]}",
            calendar_dir=ROOT / "config" / "calendar",
            rules_dir=ROOT / "config" / "sla",
            targets_dir=ROOT / "config" / "targets",
        ),
    )


async def _run(smoke: bool) -> list[dict[str, Any]]:
    sizes = (
        dict(copy=2_000, dossiers=200, ticks=[1_000, 10_000], burst=2_000, window=0.5)
        if smoke
        else dict(
            copy=200_000,
            dossiers=10_000,
            ticks=[100_000, 1_000_000, 10_000_000],
            burst=100_000,
            window=6.0,
        )
    )
    name, url = await fresh_database()
    topic = support.unique("bench_sla_events")
    await support.create_topics([topic, topic + ".dlq"], 6)
    settings = settings_for(url, topic)
    try:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            c_copy = await r6_copy(conn, projection_rows(sizes["copy"]))
            u_srv = await r7_upsert(conn, sizes["copy"])
        finally:
            await conn.close()
        rate, trips, events = await g3_projection(settings, sizes["dossiers"])
        costs = await g4_tick_cost(settings, sizes["ticks"], sizes["window"])
        burst = await g5_burst(settings, sizes["burst"])
    finally:
        await support.delete_topics([topic, topic + ".dlq"])
        await support.drop_database(name)
    return report(
        c_copy,
        u_srv,
        (rate, trips, events),
        costs,
        burst,
        sizes["burst"],
        settings.sla.tick_interval_s,
        settings.sla.watermark_margin_s,
    )


def report(
    c_copy: float,
    u_srv: float,
    g3: tuple[float, float, int],
    costs: dict[int, tuple[float, float, int]],
    burst: tuple[float, int, int, int],
    count: int,
    tick_s: float,
    margin_s: float,
) -> list[dict[str, Any]]:
    """The rows of the table, with ratios to the reference runs of the same run."""
    rate, trips, events = g3
    low, high = min(costs), max(costs)
    tick_ratio = costs[high][0] / costs[low][0]
    elapsed, queued, distinct, largest = burst
    burst_met = elapsed <= 30 and queued == count and distinct == count and largest <= 1000
    per_size = ", ".join(f"{n:.0e}: {costs[n][0] * 1000:.2f} ms" for n in sorted(costs))
    # docs/performance.md's target, as written: the watermark margin has to fit inside it.
    late_target = tick_s + 1.0
    worst = max(p99 for _, p99, _ in costs.values())
    lateness = ", ".join(
        f"{n:.0e}: {costs[n][1]:.2f} s ({costs[n][2]} fired)" for n in sorted(costs)
    )
    return [
        row(
            "R6",
            "COPY ceiling C_copy (projection row shape, unlogged)",
            f"{c_copy:,.0f} rows/s",
            c_copy,
            None,
            "reference",
            None,
        ),
        row(
            "R7",
            "server-side upsert ceiling U_srv (production indexes)",
            f"{u_srv:,.0f} rows/s",
            u_srv,
            None,
            "reference",
            None,
        ),
        row(
            "G3",
            f"sla projection catch-up over {events:,} events vs C_copy",
            f"{rate:,.0f} events/s",
            rate,
            rate / c_copy,
            "≥ 0.1 × C_copy",
            rate >= 0.1 * c_copy,
        ),
        row(
            "G3",
            "sla projection catch-up vs U_srv",
            f"{rate:,.0f} events/s",
            rate,
            rate / u_srv,
            "≥ 0.5 × U_srv",
            rate >= 0.5 * u_srv,
        ),
        row(
            "G3",
            "database round trips per consumed batch",
            f"{trips:.2f}",
            trips,
            None,
            "≤ 2",
            trips <= 2,
        ),
        row(
            "G4",
            f"tick cost (100 due) at {per_size}",
            f"{costs[high][0] * 1000:.2f} ms at {high:.0e}",
            costs[high][0],
            tick_ratio,
            f"cost({high:.0e})/cost({low:.0e}) ≤ 1.5",
            tick_ratio <= 1.5,
        ),
        row(
            "G4",
            f"p99 timer lateness (fired − due, tick {tick_s:g} s, watermark margin"
            f" {margin_s:g} s) at {lateness}",
            f"{worst:.2f} s worst p99",
            worst,
            None,
            f"p99 ≤ tick + 1 s = {late_target:g} s",
            worst <= late_target and all(n > 0 for _, _, n in costs.values()),
        ),
        row(
            "G5",
            f"{count:,} deadlines due at once, 2 tickers, ≤ 1,000 per transaction",
            f"{elapsed:.2f} s, {queued:,} alerts, {distinct:,} distinct, max {largest}/tx",
            elapsed,
            None,
            "≤ 30 s, each exactly once",
            burst_met,
        ),
    ]


def run(smoke: bool) -> list[dict[str, Any]]:
    """Entry point of the driver."""
    return asyncio.run(_run(smoke))


if __name__ == "__main__":
    for result in run("--smoke" in sys.argv):
        print(result)

"""Sync-audit benchmark: catch-up rate of the attribution path and one reconciliation round.

Runs the real use-cases against a fresh PostgreSQL database (no Kafka: the consumer's decoding is
not what limits it). Ratios are left to the driver, which holds the reference runs (R6, R7).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import sync_audit
from aiokafka.structs import ConsumerRecord
from dunghan_common.clock import FakeClock
from dunghan_common.db.migrations import upgrade
from dunghan_common.events import EXAMPLES, from_kafka, parse_event, split_contact, to_kafka
from dunghan_common.events.catalog import TOPIC_DATA_MODELS
from dunghan_common.events.fast import decode_topic_event
from dunghan_common.settings import DatabaseSettings
from sqlalchemy import event
from sync_audit.adapters.kafka import AuditHandler
from sync_audit.bootstrap import build
from sync_audit.domain.model import Observation
from sync_audit.settings import SyncAuditSettings

_DSN = "postgresql://{u}:{p}@127.0.0.1:{port}/{db}"
RECEIVED = datetime.fromisoformat("2025-08-01T10:00:00+07:00")


def _dsn(db: str) -> str:
    env = os.environ
    user, password = env.get("PG_USER", "dunghan"), env.get("PG_PASSWORD", "dunghan")
    return _DSN.format(u=user, p=password, port=env.get("PG_PORT", "55432"), db=db)


def _dossier_events(i: int) -> list[Observation]:
    """Six events of a dossier finished on time whose finishing status never reached the portal."""
    d = f"000.00.12.H50-250801-{i:06d}"
    finished = RECEIVED + timedelta(days=3, hours=1)  # 2025-08-04 11:00, due 08-06 10:00
    rows = [
        ("dossier.received", RECEIVED, _received()),
        ("dossier.assigned", RECEIVED + timedelta(hours=1), {"assignee": {"id": "cb-1"}}),
        ("dossier.result_ready", finished, {}),
        (
            "portal.sync_failed",
            finished + timedelta(minutes=1),
            {"status_code": 9, "error_code": f"E{i % 7}", "error_message": "timeout"},
        ),
        (
            "portal.sync_failed",
            finished + timedelta(minutes=5),
            {"status_code": 9, "error_code": "E-RETRY", "error_message": "timeout"},
        ),
        ("portal.snapshot", finished + timedelta(minutes=30), {"status_code": 4}),
    ]
    return [
        Observation(event_key=f"b/{d}/{n}", dossier_id=d, type=t, time=at, data=data)
        for n, (t, at, data) in enumerate(rows)
    ]


def _received() -> dict[str, object]:
    return {
        "unit_code": "000.00.12.H50",
        "procedure": {"code": "1.004227", "name": "x"},
        "time_limit": {"value": 3, "unit": "working_days"},
        "due_at": "2025-08-06T10:00:00+07:00",
        "channel": "online",
    }


async def _measure(smoke: bool) -> list[dict[str, object]]:
    name = f"bench_sa_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn("postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await asyncio.to_thread(upgrade, Path(sync_audit.__file__).parent / "migrations", url)
        clock = FakeClock(datetime.fromisoformat("2025-08-05T12:00:00+07:00"))
        c = build(SyncAuditSettings(env="test", db=DatabaseSettings(url=url)), clock)
        try:
            return await _rows(c, clock, 300 if smoke else 5_000)
        finally:
            await c.engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _interleaved(c: object, dossiers: int, batch: int) -> tuple[float, float, float | None]:
    """Events per second when a dossier's events arrive in different batches (as in life)."""
    per_dossier = [_dossier_events(1_000_000 + i) for i in range(dossiers)]
    events = [d[step] for step in range(6) for d in per_dossier]
    batch = min(batch, dossiers)  # a batch never holds two events of a dossier (smoke too)
    database = c.engine.url.database  # type: ignore[attr-defined]
    db_start = _db_cpu(database)
    start, cpu = time.perf_counter(), time.process_time()
    for k in range(0, len(events), batch):
        await c.record(events[k : k + batch], [])  # type: ignore[attr-defined]
    rate = len(events) / (time.perf_counter() - start)
    db_end = _db_cpu(database)
    db = (db_end - db_start) / len(events) * 1e6 if db_start is not None and db_end else None
    return rate, (time.process_time() - cpu) / len(events) * 1e6, db


def _db_cpu(database: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` (their process
    title names it); None when the server's processes are not visible from here."""
    total, seen = 0, False
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc / "cmdline").read_bytes()
            if b"postgres" not in title or f" {database} ".encode() not in title:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total, seen = total + int(fields[11]) + int(fields[12]), True
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def _per_record(records: list[ConsumerRecord], decode: Callable[[ConsumerRecord], Any]) -> float:
    """CPU-µs per record of ``decode`` followed by the JSON dump of the data (as the handler)."""
    for r in records[:50]:
        decode(r).data.model_dump(mode="json")
    start = time.process_time()
    for r in records:
        decode(r).data.model_dump(mode="json")
    return (time.process_time() - start) / len(records) * 1e6


def _decode_row(smoke: bool) -> dict[str, object]:
    """The consumer handler's decoding per record (fast strict path) against `from_kafka`."""
    kept = [t for t in EXAMPLES if t in TOPIC_DATA_MODELS]
    messages = [to_kafka(split_contact(parse_event(EXAMPLES[t]))[0]) for t in kept]
    records = [
        ConsumerRecord("dossier-events", 0, 0, 0, 0, m.key, m.value, None, 0, 0, m.headers)
        for m in messages * (20 if smoke else 400)
    ]

    async def nothing(*_: object) -> None:
        return None

    handler = AuditHandler(nothing, "sla-alerts")
    asyncio.run(handler(records[:50]))  # warm both paths before timing
    start = time.process_time()
    asyncio.run(handler(records))
    whole = (time.process_time() - start) / len(records) * 1e6
    fast = _per_record(records, lambda r: decode_topic_event(r.value, r.headers))
    full = _per_record(records, lambda r: from_kafka(r.key, r.value, r.headers))
    return {
        "id": "A6",
        "what": f"sync-audit consumer handler over {len(records)} `dossier-events` records of the "
        f"{len(kept)} example types: whole handler, and its decoding (`from_kafka`, which it "
        "uses, against the strict fast path sla uses; each with the data dumped as stored)",
        "figure": f"{whole:,.1f} CPU-µs/record; decoding {full:,.1f} (fast path {fast:,.1f})",
        "value": whole,
        "ratio": None,
        "target": "share of docs/performance.md G8 (≤ 150 CPU-µs/event for the whole system)",
        "met": None,
    }


def _count_statements(engine: object) -> list[int]:
    """A one-cell counter of the SQL statements the engine sends (each one is a round trip)."""
    counter = [0]

    def count(*_: object) -> None:
        counter[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)  # type: ignore[attr-defined]
    return counter


async def _rows(c: object, clock: FakeClock, dossiers: int) -> list[dict[str, object]]:
    batch = 2_000 // 6 * 6
    events = [o for i in range(dossiers) for o in _dossier_events(i)]
    database = c.engine.url.database  # type: ignore[attr-defined]
    await c.reconcile()  # type: ignore[attr-defined]  # opens the pool's backend: its CPU counts
    statements = _count_statements(c.engine)  # type: ignore[attr-defined]
    db_start = _db_cpu(database)
    start, cpu = time.perf_counter(), time.process_time()
    for k in range(0, len(events), batch):
        await c.record(events[k : k + batch], [])  # type: ignore[attr-defined]
    rate = len(events) / (time.perf_counter() - start)
    cpu_us = (time.process_time() - cpu) / len(events) * 1e6
    db_end = _db_cpu(database)
    db_us = (db_end - db_start) / len(events) * 1e6 if db_start is not None and db_end else None
    db_figure = f"{db_us:,.0f}" if db_us is not None else "n/a"
    per_batch = statements[0] / -(-len(events) // batch)
    interleaved, interleaved_cpu, interleaved_db = await _interleaved(c, dossiers, batch)
    db_interleaved = f"{interleaved_db:,.0f}" if interleaved_db is not None else "n/a"
    clock.set(datetime.fromisoformat("2025-08-20T12:00:00+07:00"))
    start = time.perf_counter()
    done = await c.reconcile()  # type: ignore[attr-defined]
    tick = time.perf_counter() - start
    return [
        {
            "id": "A1",
            "what": f"sync-audit catch-up: {len(events)} events of {dossiers} dossiers, "
            "stored, folded and attributed (batches of ~2,000)",
            "figure": f"{rate:,.0f} events/s",
            "value": rate,
            "ratio": None,
            "target": "sync-audit figure; docs/performance.md sets no goal for it",
            "met": None,
        },
        {
            "id": "A3",
            "what": "sync-audit catch-up: CPU of the service process per event (the database "
            "backend's CPU in the figure; WAL writer and checkpointer not counted)",
            "figure": f"{cpu_us:,.0f} CPU-µs/event (+ database backend {db_figure})",
            "value": cpu_us,
            "ratio": None,
            "target": "share of docs/performance.md G8 (≤ 150 CPU-µs/event for the whole system)",
            "met": None,
        },
        {
            "id": "A4",
            "what": "sync-audit catch-up: SQL statements (round trips) per consumed batch, "
            "BEGIN and COMMIT not counted",
            "figure": f"{per_batch:.1f} statements/batch",
            "value": per_batch,
            "ratio": None,
            "target": "sync-audit figure; docs/performance.md sets no goal for it",
            "met": None,
        },
        {
            "id": "A5",
            "what": f"sync-audit catch-up, events interleaved ({len(events)} events, step by step "
            f"over {dossiers} dossiers: each batch touches every dossier once and re-reads it)",
            "figure": f"{interleaved:,.0f} events/s, {interleaved_cpu:,.0f} CPU-µs/event "
            f"(+ database backend {db_interleaved})",
            "value": interleaved,
            "ratio": None,
            "target": "sync-audit figure; docs/performance.md sets no goal for it",
            "met": None,
        },
        {
            "id": "A2",
            "what": f"sync-audit reconciliation round over {done} dossiers past due",
            "figure": f"{tick * 1000:,.0f} ms",
            "value": tick,
            "ratio": None,
            "target": "sync-audit figure; docs/performance.md sets no goal for it",
            "met": None,
        },
    ]


def run(smoke: bool) -> list[dict[str, object]]:
    """Measure and return the rows."""
    return [*asyncio.run(_measure(smoke)), _decode_row(smoke)]


if __name__ == "__main__":
    import sys

    for row in run(smoke="--smoke" in sys.argv):
        print(row)

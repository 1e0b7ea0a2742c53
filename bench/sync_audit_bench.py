"""Sync-audit benchmark: catch-up rate of the attribution path and one reconciliation round.

Runs the real use-cases against a fresh PostgreSQL database (no Kafka: the consumer's decoding is
not what limits it). Ratios are left to the driver, which holds the reference runs (R6, R7).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import sync_audit
from dunghan_common.clock import FakeClock
from dunghan_common.db.migrations import upgrade
from dunghan_common.settings import DatabaseSettings
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


async def _rows(c: object, clock: FakeClock, dossiers: int) -> list[dict[str, object]]:
    batch = 2_000 // 6 * 6
    events = [o for i in range(dossiers) for o in _dossier_events(i)]
    start = time.perf_counter()
    for k in range(0, len(events), batch):
        await c.record(events[k : k + batch], [])  # type: ignore[attr-defined]
    rate = len(events) / (time.perf_counter() - start)
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
            "target": "sync-audit figure; PERFORMANCE.md sets no goal for it",
            "met": None,
        },
        {
            "id": "A2",
            "what": f"sync-audit reconciliation round over {done} dossiers past due",
            "figure": f"{tick * 1000:,.0f} ms",
            "value": tick,
            "ratio": None,
            "target": "sync-audit figure; PERFORMANCE.md sets no goal for it",
            "met": None,
        },
    ]


def run(smoke: bool) -> list[dict[str, object]]:
    """Measure and return the rows."""
    return asyncio.run(_measure(smoke))


if __name__ == "__main__":
    import sys

    for row in run(smoke="--smoke" in sys.argv):
        print(row)

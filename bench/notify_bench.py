"""Notify's leg of G7: breach → apology queued, on the real broker and database.

Per dossier, `sla.deadline_breached` and `audit.breach_attributed` (cause `official_delay`) are
produced to fresh topics (acks=all); notify's production consumer and intake write the letter
and its queued deliveries. Latency runs from just before the produce call to the moment the
intake transaction holding the letter has committed (the handler returns only after the commit),
at a modest steady rate; throughput is the catch-up rate over a pre-filled topic. The letters
are counted in the database afterwards: a figure is only reported if every letter is there.
Ratios need L_k (R3), measured by the driver: they are left to it (None here).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import notify
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from dunghan_common.db.migrations import upgrade
from dunghan_common.events import encode_event
from dunghan_common.events import event_types as t
from dunghan_common.events.findings import BreachAttributed, DeadlineBreached, DossierFacts
from dunghan_common.kafka import BatchConsumer, KafkaPublisher, OutgoingRecord
from dunghan_common.kafka.consumer import ConsumerMetrics, Record
from dunghan_common.settings import DatabaseSettings, Environment, KafkaSettings
from dunghan_common.units import UnitDirectorySettings
from notify import bootstrap
from notify.adapters.kafka import NotifyHandler
from notify.adapters.tables import letters
from notify.settings import NotifyOptions, NotifySettings
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
UNIT = "000.00.12.H50"
TARGET = (
    "G7 (notify's leg): p99 ≤ 10 × L_k p99 + declared batch windows, at half load; L_k is "
    "R3 of bench/run.py (not measured here, so no ratio); declared windows: producer linger "
    "5 ms; notify's consumer fetch wait ≤ 50 ms (DUNGHAN_NOTIFY_FETCH_MAX_WAIT_MS: a partition "
    "left out of the fetch in flight waits for it to return)"
)


def _dsn(db: str) -> str:
    env = os.environ
    user, password = env.get("PG_USER", "dunghan"), env.get("PG_PASSWORD", "dunghan")
    return f"postgresql://{user}:{password}@127.0.0.1:{env.get('PG_PORT', '55432')}/{db}"


def _bootstrap() -> str:
    return os.environ.get("DUNGHAN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def _pair(topics: dict[str, str], dossier: str, now: datetime) -> list[OutgoingRecord]:
    """The breach alert and its attribution, as sla and sync-audit publish them."""
    facts = DossierFacts(
        unit_code=UNIT,
        procedure_code="1.004227",
        procedure_name="Cấp giấy phép xây dựng",
        received_at=now - timedelta(days=6),
        due_at=now - timedelta(hours=1),
        assignee_id="cb-1024",
    )
    breached = DeadlineBreached(dossier=facts, breached_at=now - timedelta(hours=1))
    attributed = BreachAttributed(
        dossier=facts,
        cause="official_delay",
        revision=1,
        local_timeliness="overdue",
        portal_overdue=True,
        evidence=[],
        attributed_at=now,
    )
    out = []
    for topic, kind, data, source in (
        (topics["alerts"], t.SLA_DEADLINE_BREACHED, breached, "dunghan-sla"),
        (topics["findings"], t.AUDIT_BREACH_ATTRIBUTED, attributed, "dunghan-sync-audit"),
    ):
        msg = encode_event(
            kind,
            dossier,
            data.model_dump(mode="json"),
            event_id=uuid.uuid4().hex,
            source=source,
            time=now,
        )
        out.append(OutgoingRecord(topic, msg.value, msg.key, msg.headers))
    return out


class Timed:
    """The production handler, noting when each attribution's transaction has committed."""

    def __init__(self, inner: NotifyHandler, findings_topic: str) -> None:
        self._inner, self._topic = inner, findings_topic
        self.committed: dict[str, float] = {}
        self.handed: dict[str, float] = {}
        self.first: float | None = None
        self.event = asyncio.Event()

    async def __call__(self, records: Sequence[Record]) -> None:
        """Handle a batch; note, per attribution in it, when it was handed over and committed."""
        handed = time.perf_counter()
        self.first = self.first or handed
        await self._inner(records)
        done = time.perf_counter()
        for r in records:
            if r.topic == self._topic and r.key is not None:
                self.committed[r.key.decode()] = done
                self.handed[r.key.decode()] = handed
        self.event.set()


async def _until(timed: Timed, dossiers: Sequence[str], timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while not all(d in timed.committed for d in dossiers):
            timed.event.clear()
            await timed.event.wait()


async def _consumer(c: bootstrap.Container, timed: Timed, dlq: KafkaPublisher) -> BatchConsumer:
    consumer = BatchConsumer(
        bootstrap.consumer_kafka(c.settings),
        bootstrap.topics(c.settings).all(),
        c.settings.notify.group_id,
        timed,
        dlq,
        ConsumerMetrics(CollectorRegistry()),
    )
    await consumer.start()
    return consumer


async def _phases(
    c: bootstrap.Container, topics: dict[str, str], smoke: bool, size: int | None
) -> list[dict[str, object]]:
    fill, seconds = (100, 1.0) if smoke else (2_000, 20.0)
    fill = size or fill
    publisher = KafkaPublisher(c.settings.kafka)
    await publisher.start()
    timed = Timed(
        NotifyHandler(bootstrap.topics(c.settings), bootstrap.intake(c)), topics["findings"]
    )
    now = datetime.now(UTC)
    try:
        # Throughput: a pre-filled backlog, then the consumer starts and catches up.
        backlog = [f"{UNIT}-b-{i:06d}" for i in range(fill)]
        records = [r for d in backlog for r in _pair(topics, d, now)]
        for k in range(0, len(records), 2_000):
            await publisher.publish(records[k : k + 2_000])
        consumer = await _consumer(c, timed, publisher)
        task = asyncio.create_task(consumer.run())
        try:
            await _until(timed, backlog, 600)
            # From the first batch handed over: the group's join delay is not notify's work.
            throughput = fill / (max(timed.committed.values()) - (timed.first or 0.0))
            # Latency at half load (G7): half the catch-up rate just measured, steady.
            rate = max(1, min(50, int(throughput / 2)))
            sent: dict[str, float] = {}
            for i in range(int(rate * seconds)):
                due = start_at = time.perf_counter()
                d = f"{UNIT}-l-{i:06d}"
                sent[d] = start_at
                await publisher.publish(_pair(topics, d, now))
                await asyncio.sleep(max(0.0, due + 1 / rate - time.perf_counter()))
            await _until(timed, list(sent), 60)
        finally:
            await consumer.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await publisher.stop()
    async with c.engine.connect() as conn:
        written = int(await conn.scalar(select(func.count()).select_from(letters)) or 0)
    if written != fill + len(sent):
        raise RuntimeError(f"{written} letters for {fill + len(sent)} attributions")
    lat_ms = [(timed.committed[d] - s) * 1000 for d, s in sent.items()]
    intake_ms = [(timed.committed[d] - timed.handed[d]) * 1000 for d in sent]
    return _rows(lat_ms, intake_ms, rate, throughput, fill)


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def _rows(
    lat_ms: list[float], intake_ms: list[float], rate: int, throughput: float, fill: int
) -> list[dict[str, object]]:
    p50, p99 = statistics.median(lat_ms), _p99(lat_ms)
    i50, i99 = statistics.median(intake_ms), _p99(intake_ms)
    return [
        {
            "id": "G7",
            "what": f"notify's leg of G7: breach → apology queued, {len(lat_ms)} dossiers at "
            f"{rate}/s (sla.deadline_breached + audit.breach_attributed produced → letter "
            "row committed)",
            "figure": f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (of which the handler's "
            f"transaction p50 {i50:.1f} ms, p99 {i99:.1f} ms; the rest is Kafka delivery)",
            "value": p99,
            "ratio": None,
            "target": TARGET,
            "met": None,
        },
        {
            "id": "G7",
            "what": f"notify's leg of G7: catch-up over a pre-filled backlog of {fill} breaches "
            "(each: reminder + letter + its queued deliveries, one transaction per batch)",
            "figure": f"{throughput:,.0f} letters/s",
            "value": throughput,
            "ratio": None,
            "target": "notify's throughput; docs/performance.md sets no goal of its own for it",
            "met": None,
        },
    ]


async def _measure(smoke: bool, size: int | None = None) -> list[dict[str, object]]:
    name = f"bench_notify_{uuid.uuid4().hex[:8]}"
    names = {
        k: f"bench_notify_{k}_{uuid.uuid4().hex[:8]}"
        for k in ("alerts", "findings", "contacts", "events")
    }
    admin = await asyncpg.connect(_dsn("postgres"))
    kafka = AIOKafkaAdminClient(bootstrap_servers=_bootstrap())
    await admin.execute(f'CREATE DATABASE "{name}"')
    await kafka.start()
    await kafka.create_topics([NewTopic(n, 3, 1) for n in names.values()])
    url = _dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await asyncio.to_thread(upgrade, Path(notify.__file__).parent / "migrations", url)
        options = NotifyOptions(
            alerts_topic=names["alerts"],
            findings_topic=names["findings"],
            contacts_topic=names["contacts"],
            events_topic=names["events"],
            group_id=f"bench_notify_{uuid.uuid4().hex[:8]}",
            calendar_dir=REPO / "config" / "calendar",
        )
        settings = NotifySettings(
            env=Environment.TEST,
            db=DatabaseSettings(url=url),
            kafka=KafkaSettings(bootstrap_servers=_bootstrap()),
            notify=options,
            units=UnitDirectorySettings(path=REPO / "config" / "units.toml"),
        )
        c = bootstrap.build(settings)
        try:
            return await _phases(c, names, smoke, size)
        finally:
            await c.engine.dispose()
    finally:
        await kafka.delete_topics(list(names.values()))
        await kafka.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def run(smoke: bool, size: int | None = None) -> list[dict[str, object]]:
    """Measure and return the rows; ``size`` overrides the backlog (``--size N``)."""
    return asyncio.run(_measure(smoke, size))


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    size = int(args[args.index("--size") + 1]) if "--size" in args else None
    for row in run(smoke="--smoke" in args, size=size):
        print(row)

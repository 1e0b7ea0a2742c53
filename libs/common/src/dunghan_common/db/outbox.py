"""The transactional outbox: events written in the use-case's commit, relayed to Kafka after.

The relay holds a PostgreSQL advisory lock while it works, so with several replicas exactly one
relays at a time and records leave in the order they were written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    LargeBinary,
    MetaData,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dunghan_common.health import Conditions
from dunghan_common.kafka.producer import KafkaPublisher, OutgoingRecord
from dunghan_common.loops import run_forever

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """Declare the outbox table in a service's metadata."""
    return Table(
        name,
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def add_to_outbox(
    conn: AsyncConnection, table: Table, records: Sequence[OutgoingRecord]
) -> None:
    """Queue records in the caller's transaction (one statement for the whole batch)."""
    if not records:
        return
    rows = [
        {
            "topic": r.topic,
            "key": r.key,
            "value": r.value,
            "headers": [[k, v.decode()] for k, v in r.headers],
        }
        for r in records
    ]
    await conn.execute(insert(table), rows)


class OutboxRelay:
    """Moves outbox rows to Kafka: publish, wait for acks, then delete, in one transaction."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        publisher: KafkaPublisher,
        registry: CollectorRegistry,
        lock_id: int,
        batch_size: int = 1000,
        idle_sleep_s: float = 0.1,
    ) -> None:
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._lock_id = lock_id
        self._batch = batch_size
        self._idle = idle_sleep_s
        self._stopping = asyncio.Event()
        self._registry = registry
        self._relayed = Counter(
            "dunghan_outbox_relayed_total",
            "Outbox records published to Kafka.",
            ["table"],
            registry=registry,
        )
        self._pending = Gauge(
            "dunghan_outbox_pending_records",
            "Outbox records not yet relayed (sampled).",
            ["table"],
            registry=registry,
        )

    def stop(self) -> None:
        """Ask the loop to end after the current round."""
        self._stopping.set()

    async def run(self, conditions: Conditions | None = None) -> None:
        """Relay until stopped; a failed round is retried by the loop policy, nothing dropped."""

        async def round_() -> bool:
            return await self.relay_once() > 0

        await run_forever(
            f"relay {self._table.name}",
            round_,
            self._idle,
            registry=self._registry,
            conditions=conditions,
            stop=self._stopping,
        )

    async def relay_once(self) -> int:
        """Relay one batch; return how many records left the outbox."""
        t = self._table
        async with self._engine.connect() as conn, conn.begin():
            got = await conn.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id)))
            if not got:
                return 0
            rows = (
                await conn.execute(select(t).order_by(t.c.id).limit(self._batch).with_for_update())
            ).all()
            if not rows:
                self._pending.labels(table=t.name).set(0)
                return 0
            await self._publisher.publish([_to_record(r) for r in rows])
            await conn.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
        self._relayed.labels(table=t.name).inc(len(rows))
        return len(rows)


def _to_record(row: object) -> OutgoingRecord:
    headers = [(str(k), str(v).encode()) for k, v in getattr(row, "headers", [])]
    return OutgoingRecord(
        topic=getattr(row, "topic"),  # noqa: B009 - Row attributes are dynamic
        key=getattr(row, "key"),  # noqa: B009
        value=getattr(row, "value"),  # noqa: B009
        headers=headers,
    )

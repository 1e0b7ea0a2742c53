"""The ledger of accepted ``(source, id)`` pairs in PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ingest.ports import Pair

metadata = MetaData()

accepted_events = Table(
    "accepted_events",
    metadata,
    Column("source", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("source", "event_id", name="accepted_events_pkey"),
    Index("accepted_events_accepted_at_idx", "accepted_at"),
)

_SOURCES = bindparam("sources", type_=ARRAY(Text))
_IDS = bindparam("ids", type_=ARRAY(Text))


def _unnest_pairs() -> Any:
    """``unnest(:sources, :ids) AS wanted(source, event_id)``: the pairs as a table."""
    return func.unnest(_SOURCES, _IDS).table_valued("source", "event_id").render_derived()


def _params(pairs: Sequence[Pair]) -> dict[str, list[str]]:
    return {"sources": [p[0] for p in pairs], "ids": [p[1] for p in pairs]}


class SqlAcceptedRepository:
    """`AcceptedRepository` on one connection; the unit of work commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def existing(self, pairs: Sequence[Pair]) -> set[Pair]:
        """The accepted pairs, joined against ``unnest(sources, ids)`` in one statement."""
        if not pairs:
            return set()
        wanted = select(_unnest_pairs()).subquery("wanted")
        t = accepted_events.c
        query = select(t.source, t.event_id).join_from(
            accepted_events,
            wanted,
            (t.source == wanted.c.source) & (t.event_id == wanted.c.event_id),
        )
        rows = await self._conn.execute(query, _params(pairs))
        return {(r[0], r[1]) for r in rows}

    async def add(self, pairs: Sequence[Pair], at: datetime) -> None:
        """Insert from ``unnest(sources, ids)``: one statement whatever the batch size."""
        if not pairs:
            return
        wanted = select(_unnest_pairs()).subquery("wanted")
        at_ = literal(at, DateTime(timezone=True))
        rows = select(wanted.c.source, wanted.c.event_id, at_)
        statement = (
            insert(accepted_events)
            .from_select(["source", "event_id", "accepted_at"], rows)
            .on_conflict_do_nothing()
        )
        await self._conn.execute(statement, _params(pairs))

    async def prune(self, before: datetime) -> int:
        """Delete pairs accepted before the cut-off."""
        result = await self._conn.execute(
            delete(accepted_events).where(accepted_events.c.accepted_at < before)
        )
        return int(result.rowcount or 0)


class SqlIngestUnitOfWork:
    """`IngestUnitOfWork` over an engine: one connection and transaction per use."""

    accepted: SqlAcceptedRepository

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self.accepted = SqlAcceptedRepository(self._conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> None:
        """Commit the transaction."""
        if self._conn is None:
            raise RuntimeError("unit of work not entered")
        await self._conn.commit()

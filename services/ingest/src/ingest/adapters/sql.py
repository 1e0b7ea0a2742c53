"""The ledger of accepted ``(source, id)`` pairs in PostgreSQL.

The table is declared with SQLAlchemy Core (the migrations' schema); the request path talks to it
through a plain asyncpg pool with prepared statements. Measured per flush, SQLAlchemy's async
engine cost a pre-ping round trip and several hundred µs of Python around three statements
(BEGIN, claim, COMMIT); on single-event requests that was more than the rest of the request.
Driver errors leave this module as `LedgerUnavailable` (the API answers 503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

import asyncpg
from dunghan_common.settings import DatabaseSettings
from sqlalchemy import Column, DateTime, Index, MetaData, PrimaryKeyConstraint, Table, Text

from ingest.ports import LedgerUnavailable, Pair

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

# Rows go in key order, so two transactions claiming overlapping pairs lock them in the same order
# and cannot deadlock; a pair another open transaction claimed makes this one wait for its end.
# The answer is the wanted pairs this statement did not insert (usually none: no rows to decode).
_CLAIM = """
WITH wanted AS (
    SELECT w.source, w.event_id FROM unnest($1::text[], $2::text[]) AS w(source, event_id)
), inserted AS (
    INSERT INTO accepted_events (source, event_id, accepted_at)
    SELECT source, event_id, $3 FROM wanted ORDER BY source, event_id
    ON CONFLICT DO NOTHING
    RETURNING source, event_id
)
SELECT source, event_id FROM wanted EXCEPT SELECT source, event_id FROM inserted
"""
_PRUNE = "DELETE FROM accepted_events WHERE accepted_at < $1"
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)


class LedgerPool:
    """An asyncpg pool on the ledger database, opened on first use (nothing connects at build)."""

    def __init__(self, settings: DatabaseSettings) -> None:
        self._settings = settings
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def acquire(self) -> Any:
        """A connection from the pool (open it if needed); `LedgerUnavailable` if unreachable."""
        try:
            return await (await self._open()).acquire(timeout=5)
        except _DRIVER_ERRORS as exc:
            raise LedgerUnavailable(type(exc).__name__) from exc

    async def release(self, conn: Any) -> None:
        """Give a connection back (the pool replaces a broken one)."""
        if self._pool is not None:
            await self._pool.release(conn)

    async def ping(self) -> None:
        """Raise unless the database answers within three seconds (readiness)."""
        async with asyncio.timeout(3):
            await (await self._open()).fetchval("SELECT 1")

    async def close(self) -> None:
        """Close every connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _open(self) -> asyncpg.Pool:
        # ``synchronous_commit = off``: a flush's COMMIT does not wait for the WAL to reach the
        # disk (2 to 3 ms here, most of a single-event request's latency). What a database crash
        # can lose is the last fraction of a second of claims, never an event: every event was
        # acknowledged by Kafka before the 202. A sender retrying such an event within that window
        # gets it published again and counted as accepted; consumers are idempotent by
        # ``(source, id)`` (docs/contract.md §2): the outcome of a commit failing after the acks.
        async with self._opening:
            if self._pool is None:
                s = self._settings
                self._pool = await asyncpg.create_pool(
                    s.url.replace("postgresql+asyncpg://", "postgresql://", 1),
                    min_size=1,
                    max_size=s.pool_size,
                    timeout=5,
                    server_settings={
                        "statement_timeout": str(s.statement_timeout_ms),
                        "synchronous_commit": "off",
                    },
                    reset=_keep_session,
                )
            return self._pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Give a connection back to the pool without asyncpg's default reset round trip.

    The default runs ``RESET ALL``, ``UNLISTEN *``, ``CLOSE ALL`` and an advisory-unlock on every
    release: one more round trip per flush. The ledger never sets session state, listens, keeps
    cursors or takes advisory locks, and asyncpg still rolls back a transaction left open before
    calling this.
    """


class SqlAcceptedRepository:
    """`AcceptedRepository` on one connection, inside the unit of work's transaction."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def claim(self, pairs: Sequence[Pair], at: datetime) -> set[Pair]:
        """Insert the pairs not there yet (``unnest`` of two arrays, one statement); the others."""
        if not pairs:
            return set()
        sources, ids = [p[0] for p in pairs], [p[1] for p in pairs]
        try:
            rows = await self._conn.fetch(_CLAIM, sources, ids, at)
        except _DRIVER_ERRORS as exc:
            raise LedgerUnavailable(type(exc).__name__) from exc
        return {(r[0], r[1]) for r in rows}

    async def prune(self, before: datetime) -> int:
        """Delete pairs accepted before the cut-off."""
        try:
            status = await self._conn.execute(_PRUNE, before)
        except _DRIVER_ERRORS as exc:
            raise LedgerUnavailable(type(exc).__name__) from exc
        return int(status.split()[-1])


class SqlIngestUnitOfWork:
    """`IngestUnitOfWork` over the pool: one connection and transaction per use."""

    accepted: SqlAcceptedRepository

    def __init__(self, pool: LedgerPool) -> None:
        self._pool = pool
        self._conn: Any = None
        self._tx: Any = None

    async def __aenter__(self) -> Self:
        conn = await self._pool.acquire()
        try:
            self._tx = conn.transaction()
            await self._tx.start()
        except _DRIVER_ERRORS as exc:
            await self._pool.release(conn)
            raise LedgerUnavailable(type(exc).__name__) from exc
        self._conn = conn
        self.accepted = SqlAcceptedRepository(conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, tx, self._conn, self._tx = self._conn, self._tx, None, None
        if conn is None:
            return
        try:
            if tx is not None:
                await tx.rollback()
        except _DRIVER_ERRORS:
            conn.terminate()  # a connection that cannot roll back is not given to anyone else
        finally:
            await self._pool.release(conn)

    async def commit(self) -> None:
        """Commit the transaction."""
        if self._tx is None:
            raise RuntimeError("unit of work not entered")
        tx, self._tx = self._tx, None
        try:
            await tx.commit()
        except _DRIVER_ERRORS as exc:
            raise LedgerUnavailable(type(exc).__name__) from exc

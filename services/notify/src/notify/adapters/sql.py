"""The SQL store (PostgreSQL): notify's records, in the caller's transaction; no commit here.

The store is composed of ``sql_records`` (facts, letters, held requests, contacts),
``sql_jobs`` (notifications) and ``sql_retention`` (contacts' end of life, re-sealing); a
consumed batch uses ``sql_staged`` (set-based, on ``sql_bulk``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from dunghan_common.db import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.adapters.sql_jobs import JobsSql
from notify.adapters.sql_records import RecordsSql
from notify.adapters.sql_retention import RetentionSql
from notify.adapters.sql_staged import StagedStore


class SqlNotifyStore(RecordsSql, JobsSql, RetentionSql):
    """Implements ``NotifyStore`` on one connection, one statement per call."""


class SqlNotifyUnit:
    """A unit of work exposing the store, and the staged store of a consumed batch."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._store = SqlNotifyStore(uow.connection)
        self._staged: StagedStore | None = None

    @property
    def store(self) -> SqlNotifyStore:
        """The store on this transaction's connection."""
        return self._store

    async def staged(self, dossier_ids: Collection[str]) -> StagedStore:
        """The batch's store: its dossiers locked and read now, its writes flushed by commit."""
        if self._staged is None:
            self._staged = StagedStore(self._uow.connection, self._store)
        await self._staged.admit(dossier_ids)
        return self._staged

    async def commit(self) -> None:
        """Write what is staged, then commit."""
        if self._staged is not None:
            await self._staged.flush()
        await self._uow.commit()


class SqlUnitOfWorkFactory:
    """Opens SQL units of work on an engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlNotifyUnit]:
        """A new transaction."""
        async with SqlUnitOfWork(self._engine) as uow:
            yield SqlNotifyUnit(uow)

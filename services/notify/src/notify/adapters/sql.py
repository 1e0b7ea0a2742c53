"""The SQL store (PostgreSQL): notify's records, in the caller's transaction; no commit here.

The store is composed of ``sql_records`` (letters, contacts), ``sql_jobs`` (notifications) and
``sql_retention`` (contacts' end of life, re-sealing); a consumed batch uses ``sql_batch``
(set-based, on ``sql_bulk``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dunghan_common.db import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.adapters.sql_batch import BatchSql
from notify.adapters.sql_jobs import JobsSql
from notify.adapters.sql_records import RecordsSql
from notify.adapters.sql_retention import RetentionSql


class SqlNotifyStore(RecordsSql, JobsSql, RetentionSql):
    """Implements ``NotifyStore`` on one connection, one statement per call."""


class SqlNotifyUnit:
    """A unit of work exposing the store, and the store of a consumed batch."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._store = SqlNotifyStore(uow.connection)
        self._batch = BatchSql(uow.connection)

    @property
    def store(self) -> SqlNotifyStore:
        """The store on this transaction's connection."""
        return self._store

    @property
    def batch(self) -> BatchSql:
        """The consumed batch's store, on the same transaction."""
        return self._batch

    async def commit(self) -> None:
        """Commit."""
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

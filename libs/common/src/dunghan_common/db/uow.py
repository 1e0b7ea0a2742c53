"""The unit of work: one transaction per use-case, committed by the use-case alone."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class SqlUnitOfWork:
    """Owns one database transaction; rolls back unless ``commit`` was called."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    @property
    def connection(self) -> AsyncConnection:
        """The connection of the open transaction."""
        if self._conn is None:
            raise RuntimeError("unit of work not entered")
        return self._conn

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.connection
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()
            self._conn = None

    async def commit(self) -> None:
        """Make the work durable."""
        await self.connection.commit()

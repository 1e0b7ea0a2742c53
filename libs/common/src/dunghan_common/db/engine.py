"""The async SQLAlchemy engine (asyncpg) built from settings, and a readiness ping."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from dunghan_common.settings import DatabaseSettings


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """Build the engine; connections are checked before use so a restarted server is survived."""
    return create_async_engine(
        settings.url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "server_settings": {"statement_timeout": str(settings.statement_timeout_ms)},
            "timeout": 5,
        },
    )


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers within three seconds."""
    async with asyncio.timeout(3), engine.connect() as conn:
        await conn.execute(text("SELECT 1"))

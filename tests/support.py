"""Helpers of the integration and e2e tiers: the real stack, fresh topics and databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


def kafka_bootstrap() -> str:
    """Address of the local broker that `make up` started."""
    return os.environ.get(
        "DUNGHAN_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    )


def pg_dsn(database: str = "postgres") -> str:
    """libpq DSN of the project's PostgreSQL cluster."""
    user = os.environ.get("PG_USER", "dunghan")
    password = os.environ.get("PG_PASSWORD", "dunghan")
    port = os.environ.get("PG_PORT", "55432")
    return f"postgresql://{user}:{password}@127.0.0.1:{port}/{database}"


def sqlalchemy_url(database: str) -> str:
    """SQLAlchemy async URL of a database in the project's cluster."""
    return pg_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def create_topics(
    names: list[str], partitions: int = 3, bootstrap: str | None = None
) -> None:
    """Create fresh topics on the real broker (the shared one unless ``bootstrap`` says)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap or kafka_bootstrap())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


async def delete_topics(names: list[str], bootstrap: str | None = None) -> None:
    """Delete topics created by a test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap or kafka_bootstrap())
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def create_database(name: str) -> None:
    """Create a fresh database in the real cluster."""
    conn = await asyncpg.connect(pg_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    """Drop a test database, closing its sessions."""
    conn = await asyncpg.connect(pg_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def serving(app: Any, port: int, **config: Any) -> AsyncIterator[None]:
    """An ASGI app under uvicorn on 127.0.0.1:``port`` in this event loop, for the block's length.

    ``config``: more `uvicorn.Config` settings (the protocol class, lifespan, logging).
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **config))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task

"""Test tiers by folder (unit, integration, e2e, faults) and the fixtures of the real stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import pytest_asyncio

from tests import support


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, taken from its folder."""
    for item in items:
        parts = item.path.parts
        for tier in ("unit", "integration", "e2e", "faults"):
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database in the real PostgreSQL cluster; its SQLAlchemy URL."""
    name = support.unique("test")
    await support.create_database(name)
    try:
        yield support.sqlalchemy_url(name)
    finally:
        await support.drop_database(name)


TopicFactory = Callable[..., Coroutine[Any, Any, str]]


@pytest_asyncio.fixture(loop_scope="session")
async def topic_factory() -> AsyncIterator[TopicFactory]:
    """Creates fresh topics (and their .dlq) on the real broker; deletes them afterwards."""
    created: list[str] = []

    async def make(prefix: str = "t", partitions: int = 3) -> str:
        name = support.unique(prefix)
        await support.create_topics([name, f"{name}.dlq"], partitions)
        created.extend([name, f"{name}.dlq"])
        return name

    yield make
    if created:
        await support.delete_topics(created)

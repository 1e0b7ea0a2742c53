"""Test tiers by folder (unit, integration, e2e, faults) and the fixtures of the real stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import pytest_asyncio

from tests import support

#: Folders whose tests share one session-wide system (a fixture of session scope that starts the
#: four services, or a private stack): under pytest-xdist each runs whole on one worker.
SHARED_SESSION = ("tests/integration/security/", "tests/e2e/", "tests/faults/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its tier, taken from its folder."""
    for item in items:
        parts = item.path.parts
        for tier in ("unit", "integration", "e2e", "faults"):
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


def work_unit(nodeid: str) -> str:
    """The tests one xdist worker runs together: a shared system's folder, else a module (its
    module-scoped fixtures are built once)."""
    module = nodeid.split("::", 1)[0]
    return next((folder for folder in SHARED_SESSION if module.startswith(folder)), module)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n N --dist loadgroup``, schedule by `work_unit`.

    pytest-xdist's own ``xdist_group`` marks rename node ids, which pytest 9 no longer allows;
    a scheduler of its scopes does the same without them.
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)


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

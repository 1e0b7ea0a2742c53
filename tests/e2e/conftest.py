"""The running system shared by the end-to-end tests of one session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.e2e.system import System


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def running_system() -> AsyncIterator[System]:
    """The four services as processes on fresh databases and topics, stopped after the session."""
    system = System()
    try:
        await system.start()
        yield system
    finally:
        await system.stop()

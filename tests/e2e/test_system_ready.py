"""The four services start as separate processes on the real stack and report ready."""

import pytest

from tests.e2e.system import SERVICES

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_every_service_is_ready_with_its_dependencies(running_system):
    for service in SERVICES:
        async with running_system.client(service) as client:
            ready = await client.get("/readyz")
            health = await client.get("/healthz")
        assert ready.status_code == 200, ready.text
        assert health.status_code == 200, health.text

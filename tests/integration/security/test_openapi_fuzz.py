"""Schemathesis over sla's and notify's OpenAPI, against the running processes: never a 5xx.

Ingest's and sync-audit's OpenAPI are fuzzed by their own tests (tests/integration/ingest/
test_ingest_fuzz.py, tests/integration/sync_audit/test_sync_audit_fuzz.py).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.workload import write_figures
from tests.fuzzing import fuzz
from tests.integration.security.conftest import TOKENS

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLES = 120


@pytest.mark.parametrize("service", ["sla", "notify"])
@pytest.mark.parametrize("role", ["ops", "unit_a"])
async def test_generated_requests_never_make_a_server_error(planted, service, role) -> None:
    seen = await asyncio.to_thread(fuzz, planted.system.url(service), TOKENS[role], EXAMPLES // 2)
    statuses = sorted({s for _, s in seen})
    write_figures(
        f"openapi_fuzz_{service}_{role}",
        {"requests": len(seen), "statuses": statuses, "server_errors": 0},
    )
    assert 200 in statuses, statuses  # past authentication, into the handlers
    assert {400, 404, 422} & set(statuses), statuses

"""Schemathesis over sla's and notify's OpenAPI, against the running processes: never a 5xx.

Ingest's and sync-audit's OpenAPI are fuzzed by their own tests (tests/integration/ingest/
test_ingest_fuzz.py, tests/integration/sync_audit/test_sync_audit_fuzz.py).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.faults.workload import write_figures
from tests.integration.security.conftest import TOKENS

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLES = 120


def fuzz(base: str, token: str, examples: int) -> list[tuple[str, int]]:
    """Generated valid and invalid cases over every operation; (operation, status) of each."""
    spec = httpx.get(f"{base}/openapi.json").json()
    operations = [r.ok() for r in schemathesis.openapi.from_dict(spec).get_all_operations()]
    strategy = st.one_of(
        *(op.as_strategy(GenerationMode.POSITIVE) for op in operations),
        *(op.as_strategy(GenerationMode.NEGATIVE) for op in operations),
    )
    seen: list[tuple[str, int]] = []

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        answer = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        seen.append((case.operation.label, answer.status_code))
        assert answer.status_code < 500, (case.operation.label, answer.text[:500])

    check()
    return seen


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

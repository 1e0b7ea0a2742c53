"""Schemathesis over a running service's whole OpenAPI: generated cases, never a 5xx."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode


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

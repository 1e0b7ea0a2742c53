"""Schemathesis over a running service's whole OpenAPI: generated cases, never a 5xx."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode


def fuzz(base: str, token: str, examples: int) -> list[tuple[str, int]]:
    """Generated valid and invalid cases over every operation; (operation, status) of each.

    ``examples`` is shared out evenly, so every operation is called whatever its schema: one
    strategy over all of them (derandomised) would leave some out as soon as another's schema
    changed.
    """
    spec = httpx.get(f"{base}/openapi.json").json()
    operations = [r.ok() for r in schemathesis.openapi.from_dict(spec).get_all_operations()]
    seen: list[tuple[str, int]] = []
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=max(5, examples // len(operations)),
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            answer = case.call(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            seen.append((case.operation.label, answer.status_code))
            assert answer.status_code < 500, (case.operation.label, answer.text[:500])

        check()
    return seen

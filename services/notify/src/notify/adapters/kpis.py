"""Optional KPI source for the digest: the SLA service's ``GET /v1/kpis`` (docs/contract.md §3)."""

from __future__ import annotations

from datetime import datetime

import httpx
from dunghan_common.clock import Clock

from notify.domain.letters import LOCAL
from notify.domain.policy import kpi_text


class SlaKpiSource:
    """Fetches this month's KPIs and returns, per unit, those below target with their rates."""

    def __init__(
        self, base_url: str, token: str | None, clock: Clock, timeout_s: float = 5.0
    ) -> None:
        self._url = base_url.rstrip("/") + "/v1/kpis"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._clock, self._timeout = clock, timeout_s

    async def __call__(self) -> dict[str, list[str]]:
        """Units → KPIs below target."""
        period = _period(self._clock.now())
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.get(self._url, params={"period": period}, headers=self._headers)
        response.raise_for_status()
        units = response.json().get("units", [])
        return {u["unit_code"]: _below(u) for u in units}


def _below(unit: dict[str, object]) -> list[str]:
    """The KPIs of one unit row under target, each with its rate."""
    names = unit.get("below_target") or []
    if not isinstance(names, list):
        return []
    return [kpi_text(str(n), _rate(unit.get(str(n)))) for n in names]


def _rate(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _period(now: datetime) -> str:
    return now.astimezone(LOCAL).strftime("%Y-%m")

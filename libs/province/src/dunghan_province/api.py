"""A read-only client of the four services' query APIs (docs/contract.md §3), with paging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

import httpx

DEV_OPS_TOKEN: Final = "dev-ops-token"  # noqa: S105 - the development stack's published placeholder
PAGE: Final = 1000
ATTRIBUTION_CONCURRENCY: Final = 16


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the services answer; the defaults are docs/contract.md's ports on one machine."""

    ingest: str = "http://127.0.0.1:8000"
    sla: str = "http://127.0.0.1:8001"
    audit: str = "http://127.0.0.1:8002"
    notify: str = "http://127.0.0.1:8003"
    token: str = DEV_OPS_TOKEN

    def services(self) -> dict[str, str]:
        """Service name → base URL."""
        return {
            "ingest": self.ingest,
            "sla": self.sla,
            "sync-audit": self.audit,
            "notify": self.notify,
        }


class ProvinceApi:
    """The queries the summary and the monthly report need, over one HTTP client."""

    def __init__(self, endpoints: Endpoints, client: httpx.AsyncClient) -> None:
        """Use `client` (closed by its owner) with the ops token of `endpoints`."""
        self.endpoints = endpoints
        self._client = client
        self._auth = {"Authorization": f"Bearer {endpoints.token}"}

    async def _get(self, url: str, **params: Any) -> Any:
        response = await self._client.get(url, params=params, headers=self._auth)
        response.raise_for_status()
        return response.json()

    async def _pages(self, url: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paged list, following `next_cursor`."""
        cursor = None
        while True:
            query = {**params, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            page = await self._get(url, **{k: v for k, v in query.items() if v is not None})
            for item in page["items"]:
                yield item
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def kpis(self, period: str) -> dict[str, Any]:
        """sla's monthly KPIs, per unit and for the province."""
        return dict(await self._get(f"{self.endpoints.sla}/v1/kpis", period=period))

    async def dossiers(self, timeliness: str) -> list[dict[str, Any]]:
        """sla's dossiers of one timeliness, most overdue first."""
        url = f"{self.endpoints.sla}/v1/dossiers"
        return [d async for d in self._pages(url, timeliness=timeliness)]

    async def escalations(self) -> list[dict[str, Any]]:
        """Every escalation to DOST."""
        return [e async for e in self._pages(f"{self.endpoints.audit}/v1/escalations")]

    async def notifications(self, kind: str) -> list[dict[str, Any]]:
        """Every notification of one kind (apology, reminder, escalation, digest)."""
        url = f"{self.endpoints.notify}/v1/notifications"
        return [n async for n in self._pages(url, kind=kind)]

    async def corrections(self, period: str) -> list[dict[str, Any]]:
        """The VPCP correction list of a month."""
        found = await self._get(f"{self.endpoints.audit}/v1/corrections", period=period)
        return list(found["items"])

    async def letters(self) -> list[dict[str, Any]]:
        """Every letter case notify holds (its state, dates, cause and issuing unit)."""
        return [c async for c in self._pages(f"{self.endpoints.notify}/v1/letters")]

    async def portal_checks(self, period: str) -> list[dict[str, Any]]:
        """Dossiers of a month past due with no portal evidence, for DOST to check."""
        url = f"{self.endpoints.audit}/v1/portal-checks"
        return [c async for c in self._pages(url, period=period)]

    async def index_gap(self, period: str) -> dict[str, Any] | None:
        """sync-audit's index points at stake of a month; None while it does not answer them."""
        url = f"{self.endpoints.audit}/v1/index-gap"
        response = await self._client.get(url, params={"period": period}, headers=self._auth)
        if response.status_code in (404, 405, 501):  # not built yet, or no portal answer put
            return None
        response.raise_for_status()
        return dict(response.json())

    async def put_portal_index(self, period: str, answer: dict[str, Any]) -> dict[str, Any]:
        """Store the portal's index answer of a month in sync-audit (what it matched)."""
        url = f"{self.endpoints.audit}/v1/portal-index/{period}"
        response = await self._client.put(url, json=answer, headers=self._auth)
        response.raise_for_status()
        return dict(response.json())

    async def attributions(self, dossier_ids: list[str]) -> list[dict[str, Any]]:
        """The attribution of each dossier that has one (a few at a time)."""
        gate = asyncio.Semaphore(ATTRIBUTION_CONCURRENCY)

        async def one(dossier_id: str) -> dict[str, Any] | None:
            async with gate:
                url = f"{self.endpoints.audit}/v1/dossiers/{dossier_id}/attribution"
                response = await self._client.get(url, headers=self._auth)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            return dict(response.json())

        found = await asyncio.gather(*(one(d) for d in dossier_ids))
        return [a for a in found if a is not None]

    async def healthy(self) -> dict[str, bool]:
        """Whether each service answers /readyz with 200."""

        async def ready(url: str) -> bool:
            try:
                return (await self._client.get(f"{url}/readyz")).status_code == 200
            except httpx.HTTPError:
                return False

        names = self.endpoints.services()
        answers = await asyncio.gather(*(ready(u) for u in names.values()))
        return dict(zip(names, answers, strict=True))

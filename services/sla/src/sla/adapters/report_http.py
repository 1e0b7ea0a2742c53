"""`GET /v1/reports/{period}`: the chairman's monthly report, as a workbook or a PDF.

sla serves it because it owns most of its figures: the KPIs of the month and of the five before
it are read in process. The correction list for VPCP, the escalations to DOST and the index points
at stake are sync-audit's: they are read from its API (docs/contract.md §3) with the caller's own
bearer token, so sync-audit decides what the caller may see and sla holds no credential of its
own. The points at stake appear once sync-audit answers `/v1/index-gap`.

No postponed annotations here: FastAPI resolves the route signatures at runtime.
"""

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

import httpx
from dunghan_common.auth import bearer, token_dependency
from dunghan_common.settings import ApiToken, AuthSettings, Role
from dunghan_province.api import Endpoints, ProvinceApi
from dunghan_province.document import monthly_report
from dunghan_province.pdf import pdf_bytes
from dunghan_province.views import collect_report
from dunghan_province.workbook import workbook_bytes
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from sla.domain.kpis import RATE_NAMES, Targets
from sla.ports import Clock
from sla.usecases import MonthlyKpis

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF: Final = "application/pdf"
# The province's report: the office and DOST read it; a unit reads its own figures in /v1/kpis.
REPORT_READERS: Final = (Role.OPS, Role.DOST)


@dataclass
class ReportDeps:
    """What the report route needs, built by the composition root."""

    kpis: MonthlyKpis
    targets: Mapping[int, Targets]
    clock: Clock
    auth: AuthSettings
    audit_url: str


class SlaReportSource:
    """The report's figures: sla's KPIs in process, the rest from sync-audit's API."""

    def __init__(self, kpis: MonthlyKpis, audit: ProvinceApi) -> None:
        """Read KPIs through `kpis` and sync-audit through `audit`."""
        self._kpis = kpis
        self._audit = audit

    async def kpis(self, period: str) -> dict[str, Any]:
        """The month's KPI answer, as `GET /v1/kpis` gives it."""
        return await self._kpis.execute(int(period[:4]), int(period[5:7]), None)

    async def escalations(self) -> list[dict[str, Any]]:
        """sync-audit's escalations to DOST."""
        return await self._audit.escalations()

    async def corrections(self, period: str) -> list[dict[str, Any]]:
        """sync-audit's correction list of the month."""
        return await self._audit.corrections(period)

    async def index_gap(self, period: str) -> dict[str, Any] | None:
        """sync-audit's index points at stake, None while it does not serve them."""
        return await self._audit.index_gap(period)


def year_targets(targets: Mapping[int, Targets], year: int) -> dict[str, float]:
    """The rate targets of a year, as the report prints them."""
    found = targets.get(year)
    if found is None:
        return {}
    return {k: v for k in RATE_NAMES if (v := getattr(found, k)) is not None}


def build_report_router(deps: ReportDeps) -> APIRouter:
    """The `/v1/reports` route."""
    router = APIRouter(prefix="/v1", tags=["sla"])
    Caller = Annotated[ApiToken, Depends(token_dependency(deps.auth, REPORT_READERS))]

    @router.get(
        "/reports/{period}",
        summary="The chairman's monthly report: XLSX, or PDF with format=pdf or Accept",
        response_class=Response,
        responses={200: {"content": {XLSX: {}, PDF: {}}}},
    )
    async def report(
        period: str,
        request: Request,
        _token: Caller,
        format: Annotated[str | None, Query(pattern="^(xlsx|pdf)$")] = None,
    ) -> Response:
        if _PERIOD.match(period) is None:
            raise HTTPException(400, "period must be YYYY-MM")
        pdf = format == "pdf" or (format is None and PDF in request.headers.get("accept", ""))
        endpoints = Endpoints(audit=deps.audit_url, token=bearer(request))
        async with httpx.AsyncClient(timeout=30) as client:
            source = SlaReportSource(deps.kpis, ProvinceApi(endpoints, client))
            targets = year_targets(deps.targets, int(period[:4]))
            try:
                snap = await collect_report(source, period, targets, deps.clock.now())
            except httpx.HTTPError as error:
                raise HTTPException(502, f"sync-audit did not answer: {error}") from None
        document = monthly_report(snap)
        body = await asyncio.to_thread(pdf_bytes if pdf else workbook_bytes, document)
        name = f"bao-cao-{period}.{'pdf' if pdf else 'xlsx'}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type=PDF if pdf else XLSX, headers=headers)

    return router

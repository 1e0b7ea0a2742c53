"""The SLA query API (docs/contract.md §3): dossier view, overdue lists, monthly KPIs.

No postponed annotations here: FastAPI resolves the route signatures at runtime.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from dunghan_common.auth import token_dependency, unit_scope
from dunghan_common.bounds import PERIOD_RULE, month_period
from dunghan_common.calendar import TIMEZONE_NAME
from dunghan_common.settings import ApiToken, AuthSettings, Role
from fastapi import APIRouter, Depends, HTTPException, Query

from sla.adapters.cursor import CursorError, decode_cursor, encode_cursor
from sla.adapters.sql_queries import TIMELINESS_VALUES
from sla.domain.assess import breached_at, timeliness
from sla.domain.model import DossierState
from sla.ports import Clock, DossierQueries
from sla.usecases import MonthlyKpis

# ops sees everything; a unit token its own unit; DOST may read too (it escalates these).
READERS = (Role.OPS, Role.UNIT, Role.DOST)
_TZ = ZoneInfo(TIMEZONE_NAME)


def _local(t: dt.datetime | None) -> dt.datetime | None:
    """Times are answered in Asia/Ho_Chi_Minh, as the receipts print them."""
    return None if t is None else t.astimezone(_TZ)


@dataclass
class ApiDeps:
    """What the routes need, built by the composition root."""

    queries: DossierQueries
    kpis: MonthlyKpis
    clock: Clock
    auth: AuthSettings


def dossier_view(state: DossierState, now: dt.datetime) -> dict[str, Any]:
    """The contract's dossier body."""
    return {
        "dossier_id": state.dossier_id,
        "unit_code": state.unit_code,
        "procedure_code": state.procedure_code,
        "channel": state.channel,
        "status": state.status,
        "received_at": _local(state.received_at),
        "due_at": _local(state.due_at),
        "computed_due_at": _local(state.computed_due_at),
        "promised_due_at": _local(state.promised_due_at),
        "finished_at": _local(state.finished_at),
        "clock": {"state": state.clock_state, "paused_seconds": state.paused_seconds},
        "timeliness": timeliness(state, now),
        "breached_at": _local(breached_at(state, now)),
        "flags": sorted(state.flags),
    }


def build_router(deps: ApiDeps) -> APIRouter:
    """The `/v1` routes."""
    router = APIRouter(prefix="/v1", tags=["sla"])
    Caller = Annotated[ApiToken, Depends(token_dependency(deps.auth, READERS))]

    @router.get("/dossiers/{dossier_id}", summary="One dossier's clock")
    async def get_dossier(dossier_id: str, token: Caller) -> dict[str, Any]:
        state = await deps.queries.get(dossier_id)
        if state is None or (token.role is Role.UNIT and state.unit_code != token.unit_code):
            raise HTTPException(404, "unknown dossier")
        return dossier_view(state, deps.clock.now())

    @router.get("/dossiers", summary="Dossiers, most overdue first")
    async def list_dossiers(
        token: Caller,
        unit_code: str | None = None,
        timeliness: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        if timeliness is not None and timeliness not in TIMELINESS_VALUES:
            raise HTTPException(400, f"timeliness must be one of {', '.join(TIMELINESS_VALUES)}")
        try:
            after = None if cursor is None else decode_cursor(cursor)
        except CursorError:
            raise HTTPException(400, "cursor is malformed") from None
        unit = unit_scope(token, unit_code)
        now = deps.clock.now()
        page = await deps.queries.page(unit, timeliness, now, after, limit + 1)
        items = [dossier_view(s, now) for s in page[:limit]]
        last = page[limit - 1] if len(page) > limit else None
        next_cursor = None
        if last is not None and last.due_at is not None:
            next_cursor = encode_cursor(last.due_at, last.dossier_id)
        return {"items": items, "next_cursor": next_cursor}

    @router.get("/kpis", summary="Monthly KPIs per unit and for the province")
    async def kpis(token: Caller, period: str, unit_code: str | None = None) -> dict[str, Any]:
        month = month_period(period)
        if month is None:
            raise HTTPException(400, f"period must be {PERIOD_RULE}")
        unit = unit_scope(token, unit_code)
        return await deps.kpis.execute(*month, unit)

    return router

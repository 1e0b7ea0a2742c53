"""HTTP routes: decode → check access → call one use-case (docs/contract.md §3, sync-audit).

No `from __future__ import annotations` here: FastAPI must see the route-local dependency
aliases as objects, not strings.
"""

import csv
import io
from collections.abc import Awaitable
from typing import Annotated

from dunghan_common.auth import token_dependency
from dunghan_common.bounds import PERIOD_RULE, month_period
from dunghan_common.settings import ApiToken, AuthSettings, Role
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response

from sync_audit.adapters.schemas import (
    AttributionOut,
    CorrectionList,
    CorrectionOut,
    EscalationOut,
    EscalationPage,
    NoteBody,
    PortalCheckOut,
    PortalCheckPage,
    RevisionOut,
    decode_code_cursor,
    decode_cursor,
    encode_code_cursor,
    encode_cursor,
    evidence_summary,
)
from sync_audit.domain.escalations import TransitionError
from sync_audit.domain.model import Escalation
from sync_audit.usecases.escalations import ChangeEscalation, UnknownEscalationError
from sync_audit.usecases.queries import AuditQueries

_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
_CSV_COLUMNS = [
    "dossier_id",
    "unit_code",
    "cause",
    "local_timeliness",
    "portal_overdue",
    "attributed_at",
    "evidence_summary",
]


def _unit_of(token: ApiToken) -> str | None:
    """A unit token sees its own unit only; ops and dost see all."""
    return token.unit_code if token.role is Role.UNIT else None


def _visible(token: ApiToken, unit_code: str) -> bool:
    scope = _unit_of(token)
    return scope is None or scope == unit_code


def build_router(
    auth: AuthSettings, queries: AuditQueries, commands: ChangeEscalation
) -> APIRouter:
    """The routes of the sync-audit API, with their access rules."""
    router = APIRouter(prefix="/v1")
    readers = Annotated[ApiToken, Depends(token_dependency(auth, (Role.OPS, Role.UNIT)))]
    anyone = Annotated[ApiToken, Depends(token_dependency(auth))]
    deciders = Annotated[ApiToken, Depends(token_dependency(auth, (Role.OPS, Role.DOST)))]

    @router.get("/dossiers/{dossier_id}/attribution", response_model=AttributionOut)
    async def attribution(dossier_id: str, token: readers) -> AttributionOut:
        found = await queries.attribution(dossier_id)
        # Another unit's dossier answers 404, not 403: its existence is not the caller's business.
        if found is None or not _visible(token, found.current.unit_code):
            raise HTTPException(404, "unknown dossier")
        c = found.current
        return AttributionOut(
            **c.model_dump(exclude={"due_at", "next_check_at", "received_at"}),
            revisions=[RevisionOut.model_validate(r.model_dump()) for r in found.revisions],
        )

    @router.get("/escalations", response_model=EscalationPage)
    async def escalations(
        token: anyone,
        status: Annotated[
            str | None, Query(pattern="^(open|acknowledged|resolved|withdrawn)$")
        ] = None,
        cause: Annotated[str | None, Query(pattern="^(software_error|sync_error)$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
    ) -> EscalationPage:
        after = decode_cursor(cursor)
        rows = await queries.escalations(status, cause, _unit_of(token), limit + 1, after)
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1]) if len(rows) > limit else None
        return EscalationPage(items=[EscalationOut.of(e) for e in page], next_cursor=next_cursor)

    @router.get("/escalations/{escalation_id}", response_model=EscalationOut)
    async def escalation(escalation_id: str, token: anyone) -> EscalationOut:
        found = await queries.escalation(escalation_id)
        if found is None or not _visible(token, found.unit_code):
            raise HTTPException(404, "unknown escalation")
        return EscalationOut.of(found)

    @router.post("/escalations/{escalation_id}/acknowledge", response_model=EscalationOut)
    async def acknowledge(
        escalation_id: str, token: deciders, body: Annotated[NoteBody | None, Body()] = None
    ) -> EscalationOut:
        note = body.note if body else None
        return await _transition(commands.acknowledge(escalation_id, note))

    @router.post("/escalations/{escalation_id}/resolve", response_model=EscalationOut)
    async def resolve(escalation_id: str, token: deciders, body: NoteBody) -> EscalationOut:
        return await _transition(commands.resolve(escalation_id, body.note))

    @router.get("/corrections", response_model=CorrectionList)
    async def corrections(
        request: Request,
        token: anyone,
        period: Annotated[str, Query(pattern=_PERIOD)],
    ) -> Response | CorrectionList:
        rows = await queries.corrections(_checked_period(period), _unit_of(token))
        items = [
            CorrectionOut(
                **r.model_dump(
                    include={
                        "dossier_id",
                        "unit_code",
                        "cause",
                        "local_timeliness",
                        "portal_overdue",
                        "attributed_at",
                        "evidence",
                    }
                ),
                evidence_summary=evidence_summary(r.evidence),
            )
            for r in rows
        ]
        if "text/csv" in request.headers.get("accept", ""):
            return Response(_csv(items), media_type="text/csv; charset=utf-8")
        return CorrectionList(period=period, items=items)

    _add_portal_checks(router, auth, queries)
    return router


def _checked_period(period: str) -> str:
    """The period, if its month is one the stores can bound; 422 naming it otherwise."""
    if month_period(period) is None:
        raise HTTPException(422, f"period must be {PERIOD_RULE}")
    return period


def _add_portal_checks(router: APIRouter, auth: AuthSettings, queries: AuditQueries) -> None:
    """``GET /v1/portal-checks``: ops and DOST see every unit, a unit token its own."""
    checkers = Annotated[
        ApiToken, Depends(token_dependency(auth, (Role.OPS, Role.DOST, Role.UNIT)))
    ]

    @router.get("/portal-checks", response_model=PortalCheckPage)
    async def portal_checks(
        token: checkers,
        period: Annotated[str, Query(pattern=_PERIOD)],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: str | None = None,
    ) -> PortalCheckPage:
        """Dossiers past their due date with no portal evidence: DOST checks them on the portal."""
        after = decode_code_cursor(cursor)
        rows = await queries.portal_checks(period, _unit_of(token), limit + 1, after)
        page = rows[:limit]
        items = [
            PortalCheckOut.model_validate(
                r.model_dump(
                    include={"dossier_id", "unit_code", "due_at", "finished_at", "local_timeliness"}
                )
            )
            for r in page
        ]
        next_cursor = encode_code_cursor(page[-1].dossier_id) if len(rows) > limit else None
        return PortalCheckPage(period=period, items=items, next_cursor=next_cursor)


async def _transition(pending: Awaitable[Escalation]) -> EscalationOut:
    """Await a transition, mapping domain refusals to 404 and 409."""
    try:
        changed = await pending
    except UnknownEscalationError:
        raise HTTPException(404, "unknown escalation") from None
    except TransitionError as exc:
        raise HTTPException(409, str(exc)) from None
    return EscalationOut.of(changed)


def _csv(items: list[CorrectionOut]) -> str:
    """The correction list as CSV, one row per dossier."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        row = item.model_dump(mode="json", include=set(_CSV_COLUMNS))
        writer.writerow(row)
    return out.getvalue()

"""HTTP routes (docs/contract.md §3, notify): notifications, letter cases and their approval,
bearer-protected.

No `from __future__ import annotations` here: FastAPI must see the local dependency alias.
"""

from datetime import datetime
from typing import Annotated

from dunghan_common.auth import token_dependency, unit_scope
from dunghan_common.settings import ApiToken, AuthSettings, Role
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from notify.domain.letters import Form, LetterDocument, form_for
from notify.domain.models import (
    ChannelName,
    Kind,
    Letter,
    LetterStatus,
    NotificationView,
    RecipientRole,
    Status,
)
from notify.ports import LetterQuery
from notify.usecases.approve import Approvals, NotAwaitingApprovalError
from notify.usecases.queries import NotFoundError, Queries


class NotificationOut(BaseModel):
    """A notification: no contact details."""

    id: int
    kind: Kind
    dossier_id: str | None
    unit_code: str | None
    recipient_role: RecipientRole
    channel: ChannelName
    status: Status
    created_at: datetime
    sent_at: datetime | None


class NotificationPage(BaseModel):
    """A page of notifications."""

    items: list[NotificationOut]
    next_cursor: str | None


class LetterOut(BaseModel):
    """A letter case (docs/contract.md §3): no personal data."""

    id: int
    dossier_id: str
    unit_code: str
    number: str
    form: Form
    issued_at: datetime
    appointment: datetime
    new_due_at: datetime | None
    ready_at: datetime | None
    status: LetterStatus
    cause: str
    amendments: int


class LetterPage(BaseModel):
    """A page of letter cases."""

    items: list[LetterOut]
    next_cursor: str | None


def _letter_out(lt: Letter, number: str) -> LetterOut:
    return LetterOut(
        id=lt.id or 0,
        dossier_id=lt.dossier_id,
        unit_code=lt.unit_code,
        number=number,
        form=form_for(lt.issued_at),
        issued_at=lt.issued_at,
        appointment=lt.due_at,
        # a dossier finished late gets no new date: the letter says when the result was ready
        new_due_at=None if lt.ready_at is not None else lt.new_due_at,
        ready_at=lt.ready_at,
        status=lt.status,
        cause=lt.cause.value,
        amendments=lt.amendments,
    )


def _out(view: NotificationView) -> NotificationOut:
    # ``sending`` is internal: to callers the job is still pending until its outcome is recorded.
    status = Status.PENDING if view.status is Status.SENDING else view.status
    return NotificationOut(**view.model_dump(exclude={"status"}), status=status)


def router(queries: Queries, approvals: Approvals, auth: AuthSettings) -> APIRouter:  # noqa: C901
    """The notify routes."""
    api = APIRouter(prefix="/v1", tags=["notifications"])
    caller = Annotated[ApiToken, Depends(token_dependency(auth))]

    @api.get("/notifications", response_model=NotificationPage)
    async def list_notifications(
        token: caller,
        dossier_id: str | None = None,
        kind: Kind | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    ) -> NotificationPage:
        """Notifications by dossier and kind, oldest first."""
        if token.role is Role.DOST:
            if kind not in (None, Kind.ESCALATION):
                return NotificationPage(items=[], next_cursor=None)
            kind = Kind.ESCALATION
        unit = unit_scope(token, None)
        page = await queries.notifications(dossier_id, kind, unit, int(cursor or 0), limit)
        return NotificationPage(items=[_out(v) for v in page.items], next_cursor=page.next_cursor)

    @api.get(
        "/notifications/{notification_id}/letter",
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
    )
    async def letter(
        notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, token: caller
    ) -> Response:
        """The apology letter: HTML, or PDF with ``Accept: application/pdf``; 404 otherwise."""
        try:
            doc = await queries.letter(notification_id)
        except NotFoundError:
            raise HTTPException(404, "no apology letter for this notification") from None
        if token.role is Role.DOST or (
            token.role is Role.UNIT and doc.letter.unit_code != token.unit_code
        ):
            raise HTTPException(404, "no apology letter for this notification")
        return await _rendered(queries, doc, request)

    @api.get("/letters", response_model=LetterPage, tags=["letters"])
    async def list_letters(
        token: caller,
        dossier_id: str | None = None,
        unit_code: str | None = None,
        status: LetterStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
    ) -> LetterPage:
        """Letter cases by dossier, issuing unit and state, oldest first (DOST sees none)."""
        if token.role is Role.DOST:
            return LetterPage(items=[], next_cursor=None)
        unit = unit_scope(token, unit_code)
        query = LetterQuery(
            dossier_id, unit, status.value if status else None, int(cursor or 0), limit
        )
        items, next_cursor = await queries.letters(query)
        return LetterPage(
            items=[_letter_out(x, queries.number_of(x)) for x in items], next_cursor=next_cursor
        )

    @api.get(
        "/letters/{letter_id}",
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
        tags=["letters"],
    )
    async def letter_case(
        letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, token: caller
    ) -> Response:
        """The letter: HTML, or PDF with ``Accept: application/pdf``."""
        try:
            doc = await queries.letter_case(letter_id)
        except NotFoundError:
            raise HTTPException(404, "no such letter") from None
        if token.role is Role.DOST or (
            token.role is Role.UNIT and doc.letter.unit_code != token.unit_code
        ):
            raise HTTPException(404, "no such letter")
        return await _rendered(queries, doc, request)

    @api.post("/letters/{letter_id}/approve", response_model=LetterOut, tags=["letters"])
    async def approve(
        letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)], token: caller
    ) -> LetterOut:
        """The unit head approves a letter waiting for approval: it is issued and sent."""
        if token.role is not Role.UNIT:
            raise HTTPException(403, "only the issuing unit approves its letters")
        try:
            issued = await approvals.approve(letter_id, token.unit_code or "")
        except NotAwaitingApprovalError:
            raise HTTPException(409, "the letter is not awaiting approval") from None
        if issued is None:
            raise HTTPException(404, "no such letter")
        return _letter_out(issued, queries.number_of(issued))

    return api


async def _rendered(queries: Queries, doc: LetterDocument, request: Request) -> Response:
    # A contact no key opens: the letter is shown, its addressee printed unavailable, and
    # the header says so (docs/contract.md §3 notify; services/notify/README.md).
    headers = {"Dunghan-Addressee": "unavailable"} if doc.applicant.unreadable else None
    if "application/pdf" in request.headers.get("accept", ""):
        return Response(await queries.pdf(doc), media_type="application/pdf", headers=headers)
    return HTMLResponse(queries.html(doc), headers=headers)

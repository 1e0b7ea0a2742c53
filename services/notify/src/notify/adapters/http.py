"""HTTP routes (CONTRACT.md §3, notify): notifications and their letters, bearer-protected.

No `from __future__ import annotations` here: FastAPI must see the local dependency alias.
"""

from datetime import datetime
from typing import Annotated

from dunghan_common.auth import token_dependency, unit_scope
from dunghan_common.settings import ApiToken, AuthSettings, Role
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from notify.domain.models import ChannelName, Kind, NotificationView, RecipientRole, Status
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


def _out(view: NotificationView) -> NotificationOut:
    # ``sending`` is internal: to callers the job is still pending until its outcome is recorded.
    status = Status.PENDING if view.status is Status.SENDING else view.status
    return NotificationOut(**view.model_dump(exclude={"status"}), status=status)


def router(queries: Queries, auth: AuthSettings) -> APIRouter:
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
        if "application/pdf" in request.headers.get("accept", ""):
            return Response(queries.pdf(doc), media_type="application/pdf")
        return HTMLResponse(queries.html(doc))

    return api

"""``PUT /v1/portal-index/{period}`` and ``GET /v1/index-gap`` (docs/contract.md §3, sync-audit).

No `from __future__ import annotations` here: FastAPI must see the route-local dependency
aliases as objects, not strings.
"""

from typing import Annotated, Any

from dunghan_common.auth import token_dependency
from dunghan_common.settings import ApiToken, AuthSettings, Role
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sync_audit.domain.gap import IndexGap
from sync_audit.domain.index import AnswerRefusedError
from sync_audit.usecases.index import PortalIndex

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
_ANSWER = (
    'The JSON object the portal\'s dvc-progress-tree answered: {"code": "OK", "data": {"parent":'
    ' {...}, "children": [{"departmentCode", "totalReceived", "totalOnTime", "totalOverdue",'
    ' "ratio", "score", ...}]}}. Anything else is refused field by field (422).'
)


class StoredAnswerOut(BaseModel):
    """What storing the portal's answer did."""

    period: str
    departments: int
    matched: int
    #: departmentCodes no unit of the directory answers to (listed, never dropped)
    unmatched: list[str]


class RefusedField(BaseModel):
    """One refused field of a portal answer."""

    loc: str
    msg: str


class AnswerRefusedOut(BaseModel):
    """A refused answer: every field at fault; nothing was stored."""

    detail: list[RefusedField]


def add_index_routes(router: APIRouter, auth: AuthSettings, index: PortalIndex) -> None:
    """The index routes: ops and DOST store answers and read the points at stake."""
    keepers = Annotated[ApiToken, Depends(token_dependency(auth, (Role.OPS, Role.DOST)))]

    @router.put(
        "/portal-index/{period}",
        response_model=StoredAnswerOut,
        responses={422: {"model": AnswerRefusedOut, "description": "refused field by field"}},
    )
    async def put_portal_index(
        token: keepers,
        period: Annotated[str, Path(pattern=PERIOD)],
        answer: Annotated[Any, Body(description=_ANSWER)],
    ) -> StoredAnswerOut | JSONResponse:
        """Store the portal's index answer of a month, as the portal returned it."""
        try:
            stored = await index.put(period, answer, "api")
        except AnswerRefusedError as exc:
            detail = [e.model_dump() for e in exc.errors]
            return JSONResponse({"detail": detail}, status_code=422)
        return StoredAnswerOut(**vars(stored))

    @router.get("/index-gap", response_model=IndexGap)
    async def index_gap(token: keepers, period: Annotated[str, Query(pattern=PERIOD)]) -> IndexGap:
        """Per unit: the portal's figures, the local ones, the corrected ones, the points at
        stake and the dossiers behind them."""
        found = await index.gap(period)
        if found is None:
            raise HTTPException(404, "no portal index answer stored for this month")
        return found

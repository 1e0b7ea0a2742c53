"""``POST /v1/dvcqg/{service}`` and ``POST /v1/dvcqg/replies`` (docs/contract.md §1b).

The same gate as ``POST /v1/events`` (key, body cap, signature, rate limit per object) and the
same ledger and producer; answered as the national portal answers, so a sender's success check
(``error_code`` 0, or the words "thành công") works unchanged. Nothing is logged from a body.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import orjson
from dunghan_common.clock import Clock
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from ingest.adapters.gate import IngestGate, Refused, kafka_refusal
from ingest.adapters.metrics import IngestMetrics
from ingest.domain.bodies import Rejection, has_nul
from ingest.domain.dvcqg import (
    SERVICES,
    Parsed,
    RequestShapeError,
    parse_replies,
    parse_snapshots,
    parse_steps,
    unwrap,
)
from ingest.dvcqg_usecases import DvcqgResult, SyncDvcqg
from ingest.ports import LedgerUnavailable, PublishFailed
from ingest.settings import IngestApiSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
_JSON = "application/json"
SUCCESS = "Đồng bộ thành công"
_EXAMPLE_OK = {
    "error_code": "0",
    "message": SUCCESS,
    "accepted": 1,
    "events": 2,
    "duplicates": 0,
}
_EXAMPLE_ERROR = {
    "error_code": "422",
    "message": "Đồng bộ không thành công: 1 trường không hợp lệ",
    "errors": [
        {"index": 0, "field": "data[0].NgayHenTra", "message": "must be a date yyyyMMddHHmmss"}
    ],
}


class DvcqgEndpoint:
    """The portal format's write endpoints; each refusal keeps §1's HTTP status."""

    def __init__(
        self,
        gate: IngestGate,
        usecase: SyncDvcqg,
        settings: IngestApiSettings,
        metrics: IngestMetrics,
        clock: Clock,
    ) -> None:
        self._gate = gate
        self._usecase = usecase
        self._settings = settings
        self._metrics = metrics
        self._clock = clock

    async def sync(self, request: Request) -> Response:
        """``DongBoHoSoMC`` (whole dossiers) or ``CapNhatTienDoHoSoMC`` (process steps)."""
        service = request.path_params.get("service", "")
        return await self._answer(request, service)

    async def replies(self, request: Request) -> Response:
        """The portal's answer to each push, as the sender received it."""
        return await self._answer(request, "replies")

    async def _answer(self, request: Request, service: str) -> Response:
        try:
            source, result = await self._handle(request, service)
        except Refused as refused:
            self._metrics.rejected.labels(reason=refused.reason.value).inc()
            return _refusal(refused)
        for kind, n in result.types.items():
            self._metrics.count(kind, source, "accepted", n)
        body = {
            "error_code": "0",
            "message": SUCCESS,
            "accepted": result.accepted,
            "events": result.events,
            "duplicates": result.duplicates,
        }
        return Response(orjson.dumps(body), 200, media_type=_JSON)

    async def _handle(self, request: Request, service: str) -> tuple[str, DvcqgResult]:
        source = self._gate.authenticate(request.headers.get("authorization"))
        body = await self._gate.read_body(request)
        self._gate.check_signature(source, request, body)
        if service not in (*SERVICES, "replies"):
            raise Refused(404, Rejection.INVALID, f"unknown service {service[:60]!r}")
        self._gate.check_open(source)
        raw, prefix = _objects(body)
        if not raw:
            raise Refused(400, Rejection.UNPARSEABLE, "the request carries no objects")
        if len(raw) > self._settings.max_events:
            limit = self._settings.max_events
            raise Refused(413, Rejection.TOO_MANY_EVENTS, f"more than {limit} objects")
        self._gate.admit(source, len(raw))
        self._metrics.batch_size.observe(len(raw))
        now = self._clock.now()
        try:
            if service == "replies":
                replies = _valid(parse_replies(raw, prefix, now))
                return source.id, await self._usecase.replies(source.id, replies)
            if service == "DongBoHoSoMC":
                snapshots = _valid(parse_snapshots(raw, prefix, now))
                return source.id, await self._usecase.execute(source.id, snapshots)
            steps = _valid(parse_steps(raw, prefix, now))
            return source.id, await self._usecase.execute(source.id, steps)
        except PublishFailed as exc:
            raise kafka_refusal(exc, self._settings.retry_after_s) from None
        except LedgerUnavailable as exc:
            log.warning("snapshot store unavailable", extra={"error": str(exc)})
            detail = "the snapshot store is unavailable; retry (resending is safe)"
            raise Refused(503, Rejection.DATABASE_UNAVAILABLE, detail, self._retry()) from None

    def _retry(self) -> dict[str, str]:
        return {"Retry-After": str(self._settings.retry_after_s)}


def _valid(parsed: Parsed[T]) -> list[T]:
    if parsed.errors:
        raise Refused(422, Rejection.INVALID, {"errors": [e.model_dump() for e in parsed.errors]})
    return parsed.items


def _objects(body: bytes) -> tuple[Sequence[object], str]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused(400, Rejection.UNPARSEABLE, "the body is not valid JSON") from None
    if b"\\u0000" in body and has_nul(value):
        raise Refused(400, Rejection.UNPARSEABLE, "U+0000 (NUL) is not accepted in any string")
    try:
        return unwrap(value)
    except RequestShapeError as exc:
        raise Refused(400, Rejection.UNPARSEABLE, str(exc)) from None


def _refusal(refused: Refused) -> Response:
    """§1's status with the portal's shape: ``error_code`` the status, a message, the errors."""
    detail: Any = refused.body.get("detail")
    errors = refused.body.get("errors", [])
    errors = errors if isinstance(errors, list) else []
    if errors:
        message = f"Đồng bộ không thành công: {len(errors)} trường không hợp lệ"
    else:
        message = f"Đồng bộ không thành công: {detail}"
    body = {"error_code": str(refused.status), "message": message, "errors": errors}
    return Response(orjson.dumps(body), refused.status, refused.headers, media_type=_JSON)


def add_dvcqg_routes(app: FastAPI, endpoint: DvcqgEndpoint) -> None:
    """Mount the portal format's endpoints on the app (documented in its OpenAPI)."""
    router = APIRouter(tags=["portal format"])
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "Accepted", "content": {_JSON: {"example": _EXAMPLE_OK}}},
        422: {
            "description": "A field is unusable",
            "content": {_JSON: {"example": _EXAMPLE_ERROR}},
        },
    }
    router.add_api_route(
        "/v1/dvcqg/replies",
        endpoint.replies,
        methods=["POST"],
        summary="The portal's answers to each push, as the sender received them",
        description=(
            "Each becomes portal.sync_succeeded or portal.sync_failed (docs/contract.md §1b)."
        ),
        responses=responses,
        response_model=None,
    )
    router.add_api_route(
        "/v1/dvcqg/{service}",
        endpoint.sync,
        methods=["POST"],
        summary="DongBoHoSoMC or CapNhatTienDoHoSoMC, as sent to the national portal",
        description=(
            "The adapter envelope or a bare array; answered as the portal answers (error_code "
            "'0', 'thành công') once every derived event is in Kafka (docs/contract.md §1b)."
        ),
        responses=responses,
        response_model=None,
    )
    app.include_router(router)

"""``POST /v1/events``: decode → check → validate → `IngestEvents` (docs/contract.md §1).

Served by `HotRoute`, an ASGI front ahead of the FastAPI app whose route documents it
(`add_routes`); timed by `create_app`'s shared latency histogram like every other route.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

import orjson
from dunghan_common.clock import Clock
from dunghan_common.events import EVENT_TYPES, CloudEvent
from dunghan_common.web import LatencyMiddleware
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import Histogram
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ingest.adapters.gate import IngestGate, Refused, kafka_refusal
from ingest.adapters.metrics import IngestMetrics
from ingest.adapters.openapi import REQUEST_BODY, RESPONSES
from ingest.domain.bodies import BodyError, Rejection, decode_body, media_type
from ingest.domain.outcome import IngestResult, foreign_sources, outside_window
from ingest.domain.sources import SourceConfig
from ingest.domain.validation import validate_body, validate_events
from ingest.ports import LedgerUnavailable, PublishFailed
from ingest.settings import IngestApiSettings
from ingest.usecases import IngestEvents

_JSON = "application/json"
PATH = "/v1/events"
#: Bytes a record may take beyond its event's JSON text (headers, framing): a body smaller than
#: the record limit by this much cannot make a record over it, so its records are not measured.
RECORD_SLACK = 4096
#: The size of each event's largest Kafka record (`KafkaEventPublisher.record_sizes`).
RecordSizes = Callable[[Sequence[CloudEvent]], list[int]]
log = logging.getLogger(__name__)


class EventsEndpoint:
    """The one write endpoint; each step refuses with the contract's status code."""

    def __init__(
        self,
        gate: IngestGate,
        usecase: IngestEvents,
        settings: IngestApiSettings,
        metrics: IngestMetrics,
        clock: Clock,
        record_sizes: RecordSizes | None = None,
    ) -> None:
        self._gate = gate
        self._usecase = usecase
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._margin = dt.timedelta(seconds=settings.future_margin_s)
        self._record_sizes = record_sizes

    async def __call__(self, request: Request) -> Response:
        """Answer one push; every refusal is counted by reason."""
        try:
            result = await self._handle(request)
        except Refused as refused:
            self._metrics.rejected.labels(reason=refused.reason.value).inc()
            body = orjson.dumps(refused.body)
            return Response(body, refused.status, refused.headers, media_type=_JSON)
        body = orjson.dumps({"accepted": result.accepted, "duplicates": result.duplicates})
        return Response(body, 202, media_type=_JSON)

    async def _handle(self, request: Request) -> IngestResult:
        source = self._gate.authenticate(request.headers.get("authorization"))
        body = await self._gate.read_body(request)
        self._gate.check_signature(source, request, body)
        kind = media_type(request.headers.get("content-type"))
        if kind is None:
            raise Refused(415, Rejection.CONTENT_TYPE, "unsupported Content-Type")
        self._gate.check_open(source)  # a throttled source costs no parsing
        events = validate_body(kind, body)
        if events is None:
            events = self._step_by_step(kind, body, source)
        else:  # a wholly valid body: the same checks, on the events
            self._check(
                source, len(events), [i for i, e in enumerate(events) if e.source != source.id]
            )
        self._check_window(events, source)
        self._check_records(len(body), events)
        result = await self._accept(source, events)
        for event_type, n in result.accepted_types.items():
            self._metrics.count(event_type, source.id, "accepted", n)
        for event_type, n in result.duplicate_types.items():
            self._metrics.count(event_type, source.id, "duplicate", n)
        return result

    def _step_by_step(self, kind: str, body: bytes, source: SourceConfig) -> list[CloudEvent]:
        """Decode, check and validate, refusing with the first problem found (and every error)."""
        try:
            raw = decode_body(kind, body)
        except BodyError as exc:
            raise Refused(exc.status, exc.reason, exc.message) from None
        if not raw:
            raise Refused(400, Rejection.UNPARSEABLE, "the request carries no events")
        self._check(source, len(raw), foreign_sources(raw, source.id))
        events, errors = validate_events(raw)
        if errors:
            self._count_rejected(raw, source)
            detail = {"errors": [e.model_dump() for e in errors]}
            raise Refused(422, Rejection.INVALID, detail)
        return events

    def _check_window(self, events: Sequence[CloudEvent], source: SourceConfig) -> None:
        """Refuse the request (422, naming ``time``) when an event is dated outside the window."""
        errors = outside_window(events, self._clock.now(), self._margin)
        if errors:
            for event in events:
                self._metrics.count(event.type, source.id, "rejected", 1)
            raise Refused(422, Rejection.INVALID, {"errors": [e.model_dump() for e in errors]})

    def _check(self, source: SourceConfig, count: int, foreign: Sequence[int]) -> None:
        """Before the schema: too many events (413), another source's events (403), rate (429)."""
        if count > self._settings.max_events:
            limit = self._settings.max_events
            raise Refused(413, Rejection.TOO_MANY_EVENTS, f"more than {limit} events")
        if foreign:
            message = f"event {foreign[0]}: source is not the key's source {source.id!r}"
            raise Refused(403, Rejection.WRONG_SOURCE, message)
        self._gate.admit(source, count)
        self._metrics.batch_size.observe(count)

    def _check_records(self, body_bytes: int, events: Sequence[CloudEvent]) -> None:
        """413 naming each event whose Kafka record would exceed the limit, before any publish."""
        limit = self._settings.max_record_bytes
        if self._record_sizes is None or body_bytes + RECORD_SLACK <= limit:
            return  # the usual case: the whole body is smaller than one record may be
        sizes = self._record_sizes(events)
        errors = [
            {"index": i, "field": "", "message": f"its Kafka record is {n} bytes; at most {limit}"}
            for i, n in enumerate(sizes)
            if n > limit
        ]
        if errors:
            raise Refused(413, Rejection.RECORD_TOO_LARGE, {"errors": errors})

    async def _accept(self, source: SourceConfig, events: list[CloudEvent]) -> IngestResult:
        retry = {"Retry-After": str(self._settings.retry_after_s)}
        try:
            return await self._usecase.execute(source.id, events)
        except PublishFailed as exc:
            raise kafka_refusal(exc, self._settings.retry_after_s) from None
        except LedgerUnavailable as exc:
            log.warning("duplicate ledger unavailable", extra={"error": str(exc)})
            detail = "the duplicate ledger is unavailable; retry (resending is safe)"
            raise Refused(503, Rejection.DATABASE_UNAVAILABLE, detail, retry) from None

    def _count_rejected(self, raw: Sequence[object], source: SourceConfig) -> None:
        for item in raw:
            kind = item.get("type") if isinstance(item, dict) else None
            label = kind if isinstance(kind, str) and kind in EVENT_TYPES else "unknown"
            self._metrics.count(label, source.id, "rejected", 1)


def add_routes(app: FastAPI, endpoint: EventsEndpoint) -> ASGIApp:
    """Mount ``POST /v1/events`` and return the ASGI app to serve: the hot route ahead of ``app``.

    The FastAPI `APIRoute` carries the OpenAPI description (body, examples, every response) and
    answers when the app is called directly. Served, `HotRoute` takes the pushes first: the
    endpoint reads the raw body itself and needs none of FastAPI's per-request work (dependency
    solving, body and response models: ~35 µs of CPU per request) nor its middleware stack
    (server errors, exceptions, exit stack, body limit, telemetry, NUL refusal: ~25 µs).
    """
    router = APIRouter(tags=["events"])
    router.add_api_route(
        PATH,
        endpoint,
        methods=["POST"],
        status_code=202,
        summary="Push CloudEvents from a provincial system",
        description=(
            "Accepts one or many CloudEvents 1.0 (JSON structured mode). 202 only once Kafka "
            "acknowledged every event; a request with any invalid event accepts nothing."
        ),
        responses=RESPONSES,
        openapi_extra={"requestBody": REQUEST_BODY},
        response_model=None,
    )
    app.include_router(router)
    return HotRoute(app, endpoint, app.state.latency)


class HotRoute:
    """ASGI front of the ingest app: ``POST /v1/events`` straight to the endpoint, the rest on.

    A push with a query string takes the app's path (its NUL refusal looks at the query). The
    push is timed by the same histogram and labels as every route (`LatencyMiddleware`); an
    error escaping the endpoint answers the app's JSON 500 and is logged, like the app's own.
    """

    def __init__(self, app: ASGIApp, endpoint: EventsEndpoint, latency: Histogram) -> None:
        self._app = app
        self._endpoint = endpoint
        self._timed = LatencyMiddleware(self._push, latency)
        self._route = Route(PATH, endpoint, methods=["POST"], include_in_schema=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one connection event."""
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == PATH
            and not scope["query_string"]
        ):
            scope["route"] = self._route  # the latency label, as routing would have set it
            await self._timed(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    async def _push(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self._endpoint(Request(scope, receive, send))
        except Exception:
            log.exception("unhandled error", extra={"path": PATH})
            response = Response(b'{"detail":"internal error"}', 500, media_type=_JSON)
        await response(scope, receive, send)

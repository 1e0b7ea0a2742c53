"""The checks before a request reaches the use-case: key, body size, signature, rate, source."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import ClientDisconnect, Request

from ingest.domain.bodies import Rejection
from ingest.domain.ratelimit import TokenBucket, retry_after_header
from ingest.domain.signature import SignatureError, SignatureHeaders, verify
from ingest.domain.sources import SourceConfig, find_source
from ingest.ports import Clock, PublishFailed, RecordsRefused

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Refused(Exception):
    """A request answered with an error status; ``body`` is its JSON document."""

    def __init__(
        self,
        status: int,
        reason: Rejection,
        detail: object,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(reason.value)
        self.status = status
        self.reason = reason
        self.body = detail if isinstance(detail, dict) else {"detail": detail}
        self.headers = dict(headers or {})


class IngestGate:
    """Authenticates, bounds and meters requests per source (the buckets live in this replica)."""

    def __init__(
        self, sources: list[SourceConfig], clock: Clock, max_body_bytes: int, tolerance_s: int
    ) -> None:
        self._sources = sources
        self._clock = clock
        self._max_body = max_body_bytes
        self._tolerance = tolerance_s
        now = clock.now().timestamp()
        self._buckets = {s.id: TokenBucket.full(s.rate_limit, now) for s in sources}

    def authenticate(self, authorization: str | None) -> SourceConfig:
        """The source of the bearer key, or 401."""
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Refused(401, Rejection.UNAUTHENTICATED, "missing bearer key", _CHALLENGE)
        source = find_source(self._sources, key.strip())
        if source is None:
            raise Refused(401, Rejection.UNAUTHENTICATED, "unknown key", _CHALLENGE)
        return source

    async def read_body(self, request: Request) -> bytes:
        """The raw body, refused with 413 as soon as it passes the cap (never fully buffered)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self._max_body:
                    raise self._too_large()
                chunks.append(chunk)
        except ClientDisconnect:
            raise Refused(400, Rejection.UNPARSEABLE, "the body was cut short") from None
        return b"".join(chunks)

    def check_signature(self, source: SourceConfig, request: Request, body: bytes) -> None:
        """Verify the Standard Webhooks signature of a signing source, or 401."""
        if not source.signs:
            return
        h = request.headers
        headers = SignatureHeaders(
            h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
        )
        try:
            now = self._clock.now().timestamp()
            verify(source.signing_secrets, headers, body, now, self._tolerance)
        except SignatureError as exc:
            raise Refused(401, Rejection.BAD_SIGNATURE, str(exc)) from None

    def admit(self, source: SourceConfig, events: int) -> None:
        """Take ``events`` tokens from the source's bucket, or 429 with ``Retry-After``."""
        wait = self._buckets[source.id].take(events, self._clock.now().timestamp())
        if wait > 0:
            raise self._too_fast(wait)

    def check_open(self, source: SourceConfig) -> None:
        """429 before any parsing when the bucket cannot admit even one event (takes nothing)."""
        wait = self._buckets[source.id].wait(1, self._clock.now().timestamp())
        if wait > 0:
            raise self._too_fast(wait)

    def _too_fast(self, wait: float) -> Refused:
        headers = {"Retry-After": retry_after_header(wait)}
        return Refused(429, Rejection.RATE_LIMITED, "over the source's rate limit", headers)

    def _too_large(self) -> Refused:
        return Refused(413, Rejection.TOO_LARGE, f"the body exceeds {self._max_body} bytes")


def kafka_refusal(exc: PublishFailed, retry_after_s: int) -> Refused:
    """The answer when Kafka did not take a request's records (both doors).

    413 when Kafka refused a record for its size, 422 for its content: the same records fail the
    same way, so no ``Retry-After``. 503 otherwise: nothing was accepted, retry after a while;
    for the rare commit left unanswered, the detail says the events may have been accepted.
    """
    if isinstance(exc, RecordsRefused):
        status, reason = (
            (413, Rejection.RECORD_TOO_LARGE) if exc.too_large else (422, Rejection.RECORD_REFUSED)
        )
        return Refused(status, reason, f"Kafka refused a record of this request: {exc}")
    detail = "Kafka did not acknowledge in time; nothing was accepted"
    if exc.maybe_published:
        detail = (
            "Kafka did not answer the commit in time; the events may have been accepted: "
            "retry (events already accepted are dropped as duplicates by id)"
        )
    retry = {"Retry-After": str(retry_after_s)}
    return Refused(503, Rejection.KAFKA_UNAVAILABLE, detail, retry)

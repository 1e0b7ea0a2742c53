"""Request bodies: the four content types of docs/contract.md §1 decoded into raw events."""

from __future__ import annotations

from enum import StrEnum

import orjson

CLOUDEVENT = "application/cloudevents+json"
CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"
JSON = "application/json"
NDJSON = "application/x-ndjson"
CONTENT_TYPES = (CLOUDEVENT, CLOUDEVENTS_BATCH, JSON, NDJSON)


class Rejection(StrEnum):
    """Why a request was refused; also the ``reason`` label of the rejection metric."""

    UNAUTHENTICATED = "unauthenticated"
    BAD_SIGNATURE = "bad_signature"
    WRONG_SOURCE = "wrong_source"
    TOO_LARGE = "too_large"
    TOO_MANY_EVENTS = "too_many_events"
    RECORD_TOO_LARGE = "record_too_large"
    RECORD_REFUSED = "record_refused"
    CONTENT_TYPE = "content_type"
    UNPARSEABLE = "unparseable"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    KAFKA_UNAVAILABLE = "kafka_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"


class BodyError(ValueError):
    """A body that cannot be decoded: the HTTP status, the reason, and a message for the sender."""

    def __init__(self, status: int, reason: Rejection, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def media_type(header: str | None) -> str | None:
    """The supported media type of a ``Content-Type`` header (parameters ignored), or None."""
    if not header:
        return None
    kind = header.split(";", 1)[0].strip().lower()
    return kind if kind in CONTENT_TYPES else None


def decode_body(kind: str, body: bytes) -> list[object]:
    """Decode a body of a supported media type into its events (not yet validated)."""
    if kind == NDJSON:
        return _ndjson(body)
    value = _loads(body, "the body is not valid JSON")
    if kind == CLOUDEVENT:
        if not isinstance(value, dict):
            raise _bad("application/cloudevents+json carries one event: a JSON object")
        return [value]
    if kind == CLOUDEVENTS_BATCH:
        if not isinstance(value, list):
            raise _bad("application/cloudevents-batch+json carries a JSON array of events")
        return value
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return value
    raise _bad("application/json carries an event object or an array of events")


def _ndjson(body: bytes) -> list[object]:
    """One event per line; blank lines are skipped; a bad line is named by its number."""
    events: list[object] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        value = _loads(line, f"line {number} is not valid JSON")
        if not isinstance(value, dict):
            raise _bad(f"line {number} is not a JSON object")
        events.append(value)
    return events


def _loads(raw: bytes, message: str) -> object:
    # orjson refuses nesting deeper than 1024 levels, so a hostile body is a 400, not a crash.
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _bad(message) from None
    # PostgreSQL text and jsonb cannot hold U+0000: refuse it here, not dead-letter it downstream.
    # The byte search keeps the common path free; the walk rules out an escaped backslash.
    if b"\\u0000" in raw and has_nul(value):
        raise _bad("U+0000 (NUL) is not accepted in any string")
    return value


def has_nul(value: object) -> bool:
    """Whether a JSON value holds U+0000 in any string, keys included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _bad(message: str) -> BodyError:
    return BodyError(400, Rejection.UNPARSEABLE, message)

"""Validating a request's events in one pydantic-core call, with the shared per-event errors.

`parse_events` validates event by event, which is what a 422 needs (every error, by index).
Nearly every request is valid, so the whole list is first validated in one call of a list
adapter over the same per-type models (measured: about a quarter less CPU per event on
1,000-event requests); only when that fails does `parse_events` run, so a 422 lists exactly
what it always did. Both paths accept the same events and build the same model instances.

`validate_body` goes one step further for JSON bodies: pydantic-core parses and validates the
bytes in one pass (no intermediate Python dicts; measured about 2 µs less CPU per event). It
answers only when the whole body is valid; anything else (NDJSON, an escaped NUL, a shape the
media type does not allow, any parse or validation error) returns None and the request takes the
step-by-step path, which names the error. Its parser accepts what orjson accepts and more only
in ``NaN``/``Infinity`` and out-of-range numbers, which no pushed event field (strict strings,
bounded integers, times) can hold, so a body it accepts is one the step-by-step path accepts too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Union

from dunghan_common.events import (
    DATA_MODELS,
    CloudEvent,
    EventError,
    event_adapter,
    event_model,
    parse_events,
)
from pydantic import Discriminator, TypeAdapter, ValidationError

from ingest.domain.bodies import CLOUDEVENT, CLOUDEVENTS_BATCH, JSON


@cache
def _all_events() -> TypeAdapter[list[CloudEvent]]:
    """A list of pushed events of any type, dispatched on ``type``; built once, on first use."""
    members = tuple(event_model(kind, "pushed") for kind in DATA_MODELS)
    union: Any = Annotated[Union[members], Discriminator("type")]  # noqa: UP007
    return TypeAdapter(list[union])


def validate_events(raw: Sequence[object]) -> tuple[list[CloudEvent], list[EventError]]:
    """Like `parse_events`: the valid events in order, and every error (capped) if any."""
    try:
        return _all_events().validate_python(raw), []
    except ValidationError:
        return parse_events(raw)


def validate_body(kind: str, body: bytes) -> list[CloudEvent] | None:
    """The events of a JSON body that is valid in every respect, or None (see the module doc)."""
    if kind not in (CLOUDEVENT, CLOUDEVENTS_BATCH, JSON) or b"\\u0000" in body:
        return None
    first = body.lstrip(b" \t\r\n")[:1]
    try:
        if first == b"[" and kind != CLOUDEVENT:
            events = _all_events().validate_json(body)
        elif first == b"{" and kind != CLOUDEVENTS_BATCH:
            events = [event_adapter("pushed").validate_json(body)]
        else:
            return None
    except ValidationError:
        return None
    return events or None  # an empty batch is refused by the step-by-step path

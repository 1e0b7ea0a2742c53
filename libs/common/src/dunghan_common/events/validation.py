"""Validating pushed events: every error of every event, located by index and dotted field path.

Error messages never echo the offending value: it may be personal data (an applicant's phone).
A request can carry many errors (1,000 events, each with unknown fields by the hundred), so the
list is capped at `max_errors` (default `MAX_ERRORS`); past the cap one last entry says how many
more were found, with the index of the first event whose errors were left out and field "".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from dunghan_common.events.catalog import EVENT_TYPES
from dunghan_common.events.envelope import CloudEvent, Form, event_adapter

MAX_ERRORS: Final = 100
# An unknown attribute's name is part of its path; keep a megabyte-long name out of the 422 body.
_MAX_FIELD: Final = 200

_KNOWN_TYPES = ", ".join(sorted(EVENT_TYPES))
# Errors pydantic raises before it knows the type, so their location carries no type tag.
_UNTAGGED: Final = {
    "union_tag_invalid": ("type", f"unknown event type; expected one of: {_KNOWN_TYPES}"),
    "union_tag_not_found": ("type", "required: the event type"),
    "model_attributes_type": ("", "an event must be a JSON object"),
    "model_type": ("", "an event must be a JSON object"),
}
_OBJECT_EXPECTED: Final = frozenset({"model_type", "dict_type", "model_attributes_type"})
_MESSAGES: Final = {
    "extra_forbidden": "unknown field; the contract does not define it",
    "missing": "required",
}


class EventError(BaseModel):
    """One problem with one event of a request: its position, the attribute, what is wrong."""

    model_config = ConfigDict(frozen=True)

    index: int
    field: str
    message: str


class EventValidationError(ValueError):
    """An event (or a message decoded from Kafka) failed validation; `errors` says where."""

    def __init__(self, errors: list[EventError]) -> None:
        """Keep the errors; the text names the fields only, never the values."""
        super().__init__("; ".join(f"{e.field or '(event)'}: {e.message}" for e in errors))
        self.errors = errors


def parse_events(
    raw: Sequence[object], *, form: Form = "pushed", max_errors: int = MAX_ERRORS
) -> tuple[list[CloudEvent], list[EventError]]:
    """Validate decoded JSON events; return the valid ones in order and every error, capped."""
    adapter = event_adapter(form)
    events: list[CloudEvent] = []
    errors: list[EventError] = []
    omitted, first_omitted = 0, 0
    for index, item in enumerate(raw):
        try:
            events.append(adapter.validate_python(item))
        except ValidationError as exc:
            room = max(max_errors - len(errors), 0)
            errors.extend(event_errors(exc, index=index, limit=room))
            if exc.error_count() > room:
                first_omitted = first_omitted if omitted else index
                omitted += exc.error_count() - room
    if omitted:
        note = f"{omitted} more errors not listed; at most {max_errors} are"
        errors.append(EventError(index=first_omitted, field="", message=note))
    return events, errors


def parse_event(raw: object, *, form: Form = "pushed") -> CloudEvent:
    """Validate one decoded JSON event; raise `EventValidationError` listing all its errors."""
    try:
        return event_adapter(form).validate_python(raw)
    except ValidationError as exc:
        raise EventValidationError(event_errors(exc)) from None


def event_errors(
    exc: ValidationError, *, index: int = 0, limit: int | None = None, tagged: bool = True
) -> list[EventError]:
    """Turn pydantic's errors into `EventError`s; `tagged` if from the per-type event validator."""
    details = exc.errors(include_url=False)[:limit]
    return [EventError(index=index, field=f, message=m) for f, m in _located(details, tagged)]


def _located(details: Iterable[ErrorDetails], tagged: bool) -> Iterator[tuple[str, str]]:
    """The dotted field path and message of each error."""
    for detail in details:
        kind, loc = detail["type"], detail["loc"]
        if not loc and kind in _UNTAGGED:
            yield _UNTAGGED[kind]
            continue
        # The discriminated union puts the type tag first in the location: drop it.
        field = ".".join(str(part) for part in (loc[1:] if tagged else loc))[:_MAX_FIELD]
        message = "must be a JSON object" if kind in _OBJECT_EXPECTED else detail["msg"]
        yield field, _MESSAGES.get(kind, message)

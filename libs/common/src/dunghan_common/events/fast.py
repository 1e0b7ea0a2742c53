"""Fast, still strict, decoding of `dossier-events` records for high-rate consumers.

`from_kafka` rebuilds the structured event and validates it through the discriminated union of
every type (~20 µs a record). `decode_topic_event` takes the envelope from the headers as plain
strings, checks them with a rule strictly narrower than the envelope's, and validates `data`
with the type's own model straight from the JSON bytes (pydantic-core). Anything the fast path
does not accept (an extension attribute, a non-ASCII id, a bad time, invalid data) goes through
`from_kafka`, which either accepts it or raises `EventValidationError` with the usual errors: the
fast path never accepts a record the full validation would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import orjson
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from dunghan_common.events.catalog import TOPIC_DATA_MODELS
from dunghan_common.events.codec import from_kafka
from dunghan_common.events.dvcqgflags import dvcqg_flags
from dunghan_common.events.event_types import subject_required
from dunghan_common.events.fields import EventData, parse_rfc3339

_JSON = "application/json"
_KNOWN = frozenset(
    {"content-type", "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject"}
)
_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")
#: `Code` (fields.CODE_PATTERN, at most 100 characters) as one compiled pattern.
_CODE = re.compile(r"[0-9A-Za-z_.:/-]{1,100}")


class TopicEvent(NamedTuple):
    """A validated `dossier-events` record: envelope attributes and the type's data model."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    data: EventData
    #: The ``dvcqgflags`` of an event derived from the portal format (never on the fast path:
    #: an extension attribute takes the full one).
    flags: tuple[str, ...] = ()


def decode_topic_event(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> TopicEvent:
    """Decode and validate a record; raise `EventValidationError` exactly when `from_kafka` does."""
    fast = _fast(value, headers)
    if fast is not None:
        return fast
    event = from_kafka(None, value, headers)
    flags = dvcqg_flags(event.__pydantic_extra__)
    return TopicEvent(
        event.id, event.source, event.type, event.time, event.subject, event.data, flags
    )


def _fast(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> TopicEvent | None:
    """The event if every check of the narrow path passes, else None (use the full path)."""
    attrs = _header_text(headers)
    if attrs is None or value is None:
        return None
    model = TOPIC_DATA_MODELS.get(attrs["ce_type"])
    subject = attrs.get("ce_subject")
    if (
        model is None
        or attrs.get("content-type", _JSON) != _JSON
        or attrs["ce_specversion"] != "1.0"
        or not _code(attrs["ce_id"], 200)
        or not _code(attrs["ce_source"], 200)
        or (subject is None and subject_required(attrs["ce_type"]))
        or (subject is not None and _CODE.fullmatch(subject) is None)
    ):
        return None
    try:
        orjson.loads(value)  # the full path's JSON parser decides what is JSON
        data = model.model_validate_json(value)
        time = parse_rfc3339(attrs["ce_time"])
    except (orjson.JSONDecodeError, ValidationError, PydanticCustomError):
        return None
    return TopicEvent(attrs["ce_id"], attrs["ce_source"], attrs["ce_type"], time, subject, data)


def _header_text(headers: Sequence[tuple[str, bytes]]) -> dict[str, str] | None:
    """The envelope headers as text; None unless they are exactly known, unrepeated ASCII ones.

    Anything else (an extension attribute, a tracing header, a repeated header) is left to the
    full path, which knows how to accept or refuse it.
    """
    raw = dict(headers)
    if len(raw) != len(headers) or not raw.keys() <= _KNOWN:
        return None
    try:
        attrs = {name: value.decode("ascii") for name, value in raw.items()}
    except UnicodeDecodeError:
        return None
    if any(name not in attrs for name in _REQUIRED):
        return None
    return attrs


def _code(text: str, max_length: int) -> bool:
    """An identifier the envelope's `Code`/`EventId`/`Source` would accept, narrowly:
    1 to ``max_length`` printable ASCII characters, no space."""
    return 0 < len(text) <= max_length and text.isascii() and text.isprintable() and " " not in text

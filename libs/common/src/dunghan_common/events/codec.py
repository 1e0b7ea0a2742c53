"""Kafka codec: CloudEvents binary mode (`ce_*` headers, JSON `data` as the value), and contacts.

Keys are the dossier code (`subject`); a `system.*` event without subject is keyed by its
`data.component`, so one component's outage events stay in order on one partition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from dunghan_common.events.contacts import Contact, DossierContact, OfficialContact
from dunghan_common.events.dossier import DossierAssignedWithContact, DossierReceivedWithApplicant
from dunghan_common.events.envelope import CloudEvent, Envelope, ServiceEvent
from dunghan_common.events.validation import (
    EventError,
    EventValidationError,
    event_errors,
    parse_event,
)

CONTENT_TYPE = "content-type"
JSON = b"application/json"
_PREFIX = "ce_"

Headers = list[tuple[str, bytes]]


class KafkaMessage(NamedTuple):
    """What to hand the producer: key, value and headers."""

    key: bytes
    value: bytes
    headers: Headers


def to_kafka(event: CloudEvent) -> KafkaMessage:
    """Encode a validated event for `dossier-events`; refuse one still carrying the applicant."""
    if isinstance(event.data, DossierReceivedWithApplicant | DossierAssignedWithContact):
        raise ValueError(
            f"{event.type} still carries personal data (applicant, assignee): split it first"
        )
    key = event.subject if event.subject is not None else _component(event)
    value = event.data.__pydantic_serializer__.to_json(event.data, exclude_none=True)
    return KafkaMessage(key.encode(), value, _headers(event))


def from_kafka(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
) -> CloudEvent:
    """Decode and validate a `dossier-events` message; raise `EventValidationError` if invalid.

    The key is derived from the event, so it is not consulted.
    """
    del key
    return parse_event(_attributes(value, headers), form="topic")


def encode_event(
    event_type: str,
    subject: str,
    data: Mapping[str, Any],
    *,
    event_id: str,
    source: str,
    time: datetime,
) -> KafkaMessage:
    """Encode a service's event (`sla.*`, `audit.*`) in binary mode, keyed by dossier code."""
    attributes: dict[str, object] = {"specversion": "1.0", "id": event_id, "source": source}
    attributes.update(type=event_type, subject=subject, time=time, data=dict(data))
    event = _validate_service_event(attributes)
    return KafkaMessage(subject.encode(), orjson.dumps(event.data), _headers(event))


def decode_event(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> ServiceEvent:
    """Decode and validate a service's event from `sla-alerts` or `audit-findings`."""
    return _validate_service_event(_attributes(value, headers))


def encode_contact(contact: Contact) -> KafkaMessage:
    """Encode an applicant's or an official's contact for the compacted `dossier-contacts`."""
    value = contact.__pydantic_serializer__.to_json(contact, exclude_none=True)
    return KafkaMessage(contact.key().encode(), value, [(CONTENT_TYPE, JSON)])


def decode_contact(value: bytes | None) -> Contact:
    """Decode and validate a `dossier-contacts` message (not a tombstone); a record without
    ``record`` is an applicant's (written before officials were split off)."""
    loaded = _load(value)
    official = isinstance(loaded, dict) and loaded.get("record") == "official"
    try:
        if official:
            return OfficialContact.model_validate(loaded)
        return DossierContact.model_validate(loaded)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _headers(event: Envelope) -> Headers:
    """The binary-mode headers: `content-type` and one `ce_<attribute>` per set attribute."""
    headers = [
        (CONTENT_TYPE, event.datacontenttype.encode()),
        ("ce_specversion", event.specversion.encode()),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", event.time.isoformat().encode()),
    ]
    if event.subject is not None:
        headers.append(("ce_subject", event.subject.encode()))
    if event.dataschema is not None:
        headers.append(("ce_dataschema", event.dataschema.encode()))
    if event.__pydantic_extra__:
        headers.extend((_PREFIX + k, v.encode()) for k, v in event.__pydantic_extra__.items())
    return headers


def _attributes(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> dict[str, object]:
    """Rebuild the structured-mode event from binary-mode headers and value."""
    attributes: dict[str, object] = {}
    for name, raw in headers:
        if name == CONTENT_TYPE:
            attributes["datacontenttype"] = _text(name, raw)
        elif name.startswith(_PREFIX):
            attributes[name[len(_PREFIX) :]] = _text(name, raw)
    attributes["data"] = _load(value)
    return attributes


def _text(header: str, raw: bytes) -> str:
    """A header value as text; CloudEvents attributes are UTF-8 strings."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise _error(header, "header is not UTF-8") from None


def _load(value: bytes | None) -> object:
    """The JSON value of a message."""
    if value is None:
        raise _error("data", "the message has no value")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise _error("data", "the message value is not JSON") from None


def _component(event: CloudEvent) -> str:
    """The key of a `system.*` event without subject: the component it is about."""
    component = getattr(event.data, "component", None)
    if not isinstance(component, str):
        raise ValueError(f"{event.type} without subject has no data.component to key it by")
    return component


def _validate_service_event(attributes: dict[str, object]) -> ServiceEvent:
    """Validate a service event's attributes, reporting like `parse_event`."""
    try:
        return ServiceEvent.model_validate(attributes)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: ValidationError) -> EventValidationError:
    """Convert the errors of a plain (not per-type) model to an `EventValidationError`."""
    return EventValidationError(event_errors(exc, tagged=False))


def _error(field: str, message: str) -> EventValidationError:
    """A single-error `EventValidationError`."""
    return EventValidationError([EventError(index=0, field=field, message=message)])

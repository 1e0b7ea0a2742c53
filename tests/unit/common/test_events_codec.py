"""Kafka binary mode: headers, keys, round trips, and what the decoder refuses."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from dunghan_common.events import (
    EXAMPLES,
    CloudEvent,
    EventValidationError,
    decode_contact,
    decode_event,
    encode_contact,
    encode_event,
    from_kafka,
    parse_event,
    split_contact,
    to_kafka,
)

pytestmark = pytest.mark.unit

_HANOI = timezone(timedelta(hours=7))


def _published(event_type: str) -> CloudEvent:
    """An example event as it goes onto `dossier-events`."""
    event, _ = split_contact(parse_event(EXAMPLES[event_type]))
    return event


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_example_survives_the_round_trip(event_type: str) -> None:
    event = _published(event_type)
    key, value, headers = to_kafka(event)
    decoded = from_kafka(key, value, headers)
    assert decoded == event
    assert type(decoded) is type(event)


def test_binary_mode_headers_and_value() -> None:
    raw = EXAMPLES["dossier.assigned"]
    key, value, headers = to_kafka(_published("dossier.assigned"))
    assert key == raw["subject"].encode()
    # The assignee is reduced to its id: names and emails go to `dossier-contacts` only.
    assert orjson.loads(value) == raw["data"] | {"assignee": {"id": raw["data"]["assignee"]["id"]}}
    assert dict(headers) == {
        "content-type": b"application/json",
        "ce_specversion": b"1.0",
        "ce_id": raw["id"].encode(),
        "ce_source": b"igate-quangtri",
        "ce_type": b"dossier.assigned",
        "ce_time": b"2025-08-01T10:20:00+07:00",
        "ce_subject": raw["subject"].encode(),
    }


def test_absent_optional_data_is_left_out_of_the_value() -> None:
    raw = copy.deepcopy(EXAMPLES["dossier.withdrawn"])
    del raw["data"]["reason"]
    assert to_kafka(parse_event(raw)).value == b"{}"


def test_a_system_event_without_subject_is_keyed_by_component() -> None:
    message = to_kafka(_published("system.outage_started"))
    assert message.key == b"igate-sync"
    assert "ce_subject" not in dict(message.headers)


def test_a_system_event_with_subject_is_keyed_by_dossier() -> None:
    assert to_kafka(_published("system.error")).key == b"000.00.12.H50-250801-0001"


def test_extension_attributes_travel_as_headers() -> None:
    raw = {**EXAMPLES["dossier.resumed"], "traceparent": "00-abc-01", "dataschema": "urn:x"}
    message = to_kafka(parse_event(raw))
    headers = dict(message.headers)
    assert headers["ce_traceparent"] == b"00-abc-01"
    assert headers["ce_dataschema"] == b"urn:x"
    assert from_kafka(*message).extensions == {"traceparent": "00-abc-01"}


def test_an_event_still_carrying_the_applicant_is_refused() -> None:
    with pytest.raises(ValueError, match="applicant"):
        to_kafka(parse_event(EXAMPLES["dossier.received"]))


def test_the_topic_schema_rejects_an_applicant() -> None:
    key, value, headers = to_kafka(_published("dossier.received"))
    leaked = orjson.dumps({**orjson.loads(value), "applicant": {"kind": "citizen", "name": "A"}})
    with pytest.raises(EventValidationError) as caught:
        from_kafka(key, leaked, headers)
    assert [e.field for e in caught.value.errors] == ["data.applicant"]


@pytest.mark.parametrize(
    ("value", "headers", "field"),
    [
        (b"{not json", None, "data"),
        (None, None, "data"),
        (b"{}", [("ce_id", b"\xff\xfe")], "ce_id"),
        (b"{}", [("ce_time", b"2025-08-04T15:40:00")], "time"),
        (b"{}", [("ce_type", b"dossier.unknown")], "type"),
    ],
)
def test_bad_messages_raise_located_errors(
    value: bytes | None, headers: list[tuple[str, bytes]] | None, field: str
) -> None:
    good = to_kafka(_published("dossier.resumed"))
    merged = dict(good.headers) | dict(headers or [])
    with pytest.raises(EventValidationError) as caught:
        from_kafka(good.key, value, list(merged.items()))
    assert [e.field for e in caught.value.errors] == [field]


def test_unrelated_headers_are_ignored() -> None:
    good = to_kafka(_published("dossier.resumed"))
    noisy = [*good.headers, ("dlq_error", b"boom"), ("traceparent", b"x")]
    assert from_kafka(good.key, good.value, noisy) == _published("dossier.resumed")


def test_a_contact_round_trips_keyed_by_dossier() -> None:
    _, contact = split_contact(parse_event(EXAMPLES["dossier.received"]))
    assert contact is not None
    key, value, headers = encode_contact(contact)
    assert key == b"000.00.12.H50-250801-0001"
    assert headers == [("content-type", b"application/json")]
    assert decode_contact(value) == contact


def test_a_bad_contact_message_raises() -> None:
    with pytest.raises(EventValidationError) as caught:
        decode_contact(b'{"dossier_code": "d-1", "kind": "citizen"}')
    assert {e.field for e in caught.value.errors} == {"name", "event_id", "source", "time"}


@pytest.mark.parametrize(("value", "field"), [(b"[", "data"), (b"[]", ""), (None, "data")])
def test_a_contact_message_that_is_no_object_raises(value: bytes | None, field: str) -> None:
    with pytest.raises(EventValidationError) as caught:
        decode_contact(value)
    assert [e.field for e in caught.value.errors] == [field]


def test_a_service_event_round_trips() -> None:
    time = datetime(2025, 8, 6, 10, 0, 1, tzinfo=_HANOI)
    data = {
        "due_at": "2025-08-06T10:00:00+07:00",
        "overdue_seconds": 1,
        "unit_code": "000.00.12.H50",
    }
    key, value, headers = encode_event(
        "sla.deadline_breached",
        "000.00.12.H50-250801-0001",
        data,
        event_id="sla-0001",
        source="dunghan-sla",
        time=time,
    )
    assert key == b"000.00.12.H50-250801-0001"
    assert dict(headers)["ce_type"] == b"sla.deadline_breached"
    event = decode_event(value, headers)
    assert (event.type, event.subject, event.time, event.data) == (
        "sla.deadline_breached",
        "000.00.12.H50-250801-0001",
        time,
        data,
    )


@pytest.mark.parametrize(
    ("event_type", "time", "field"),
    [
        ("sla.deadline_missed", datetime(2025, 8, 6, tzinfo=_HANOI), "type"),
        ("dossier.received", datetime(2025, 8, 6, tzinfo=_HANOI), "type"),
        ("audit.escalation_opened", datetime(2025, 8, 6), "time"),
    ],
)
def test_a_bad_service_event_is_refused(event_type: str, time: datetime, field: str) -> None:
    with pytest.raises(EventValidationError) as caught:
        encode_event(event_type, "d-1", {}, event_id="e-1", source="dunghan-sla", time=time)
    assert [e.field for e in caught.value.errors] == [field]

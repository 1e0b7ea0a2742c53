"""The CloudEvents envelope: attributes, times, subjects, extension attributes, unknown types."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from dunghan_common.events import (
    DATA_MODELS,
    EVENT_TYPES,
    EXAMPLES,
    CloudEvent,
    EventError,
    parse_events,
)

pytestmark = pytest.mark.unit


def _example(event_type: str = "dossier.assigned", /, **changes: Any) -> dict[str, Any]:
    """A deep copy of an example event with top-level attributes replaced (None removes)."""
    event = copy.deepcopy(EXAMPLES[event_type])
    for name, value in changes.items():
        if value is None:
            event.pop(name, None)
        else:
            event[name] = value
    return event


def _errors(event: object) -> list[tuple[str, str]]:
    """The (field, message) pairs parse_events reports for one event."""
    events, errors = parse_events([event])
    assert not events
    assert {e.index for e in errors} == {0}
    return [(e.field, e.message) for e in errors]


def test_there_is_one_example_per_contract_type() -> None:
    assert set(EXAMPLES) == set(DATA_MODELS) == EVENT_TYPES
    assert len(EVENT_TYPES) == 22


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_example_validates_with_its_data_model(event_type: str) -> None:
    events, errors = parse_events([EXAMPLES[event_type]])
    assert errors == []
    (event,) = events
    assert isinstance(event, CloudEvent)
    assert event.type == event_type
    assert type(event.data) is DATA_MODELS[event_type]


def test_a_batch_keeps_order_and_indexes_errors() -> None:
    batch = [
        _example("dossier.submitted"),
        _example(time="yesterday"),
        _example("payment.completed"),
    ]
    events, errors = parse_events(batch)
    assert [e.type for e in events] == ["dossier.submitted", "payment.completed"]
    assert [(e.index, e.field) for e in errors] == [(1, "time")]


@pytest.mark.parametrize(
    "raw", ["2025-08-01T10:00:00", "2025-08-01T10:00:00.250", "2025-08-01t10:00:00"]
)
def test_a_naive_time_is_rejected_on_time(raw: str) -> None:
    [(field, message)] = _errors(_example(time=raw))
    assert field == "time"
    assert "UTC offset" in message


@pytest.mark.parametrize(
    "raw",
    [
        "2025-08-01",
        "2025-08-01 10:00:00+07:00",
        "20250801T100000+0700",
        "1754017200",
        "2025-13-01T10:00:00+07:00",
        "2025-08-01T10:00:60+07:00",
        "2025-08-01T10:00:00+24:00",
        "",
    ],
)
def test_a_malformed_time_is_rejected_on_time(raw: str) -> None:
    [(field, message)] = _errors(_example(time=raw))
    assert field == "time"
    assert "2025-08-01T10:00:00+07:00" in message


@pytest.mark.parametrize("raw", [1754017200, 1754017200.0, None, True])
def test_a_time_that_is_not_a_string_is_rejected(raw: object) -> None:
    event = _example()
    event["time"] = raw
    assert [field for field, _ in _errors(event)] == ["time"]


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("2025-08-01T10:00:00+07:00", timedelta(hours=7)),
        ("2025-08-01T03:00:00Z", timedelta(0)),
        ("2025-08-01t03:00:00.123456789z", timedelta(0)),
        ("2025-08-01T03:00:00-00:00", timedelta(0)),
    ],
)
def test_rfc3339_times_keep_their_offset(raw: str, offset: timedelta) -> None:
    (event,), _ = parse_events([_example(time=raw)])
    assert event.time.utcoffset() == offset
    assert event.time.astimezone(UTC).hour == 3


def test_data_times_follow_the_same_rule() -> None:
    event = _example("dossier.rescheduled")
    event["data"]["new_due_at"] = "2025-08-08T10:00:00"
    [(field, message)] = _errors(event)
    assert field == "data.new_due_at"
    assert "UTC offset" in message


@pytest.mark.parametrize(
    "event_type", sorted(t for t in EXAMPLES if t.split(".")[0] in {"dossier", "payment", "portal"})
)
def test_subject_is_required_outside_system_events(event_type: str) -> None:
    assert _errors(_example(event_type, subject=None)) == [("subject", "required")]


@pytest.mark.parametrize("event_type", ["system.error", "system.outage_started"])
def test_system_events_may_go_without_subject(event_type: str) -> None:
    (event,), errors = parse_events([_example(event_type, subject=None)])
    assert errors == []
    assert event.subject is None


@pytest.mark.parametrize("subject", ["", " 000.00.12.H50-250801-0001", "x" * 101, 42])
def test_a_bad_subject_is_rejected_on_subject(subject: object) -> None:
    assert [field for field, _ in _errors(_example(subject=subject))] == ["subject"]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("specversion", "0.3"),
        ("specversion", 1.0),
        ("id", ""),
        ("id", "x" * 201),
        ("source", ""),
        ("datacontenttype", "text/xml"),
        ("dataschema", ""),
    ],
)
def test_bad_context_attributes_are_located(attribute: str, value: object) -> None:
    assert [field for field, _ in _errors(_example(**{attribute: value}))] == [attribute]


@pytest.mark.parametrize("attribute", ["specversion", "id", "source", "time", "data"])
def test_required_attributes_are_reported_missing(attribute: str) -> None:
    assert _errors(_example(**{attribute: None})) == [(attribute, "required")]


def test_an_unknown_type_is_one_error_on_type() -> None:
    event = _example(type="dossier.lost")
    event["data"] = {"anything": 1}
    [(field, message)] = _errors(event)
    assert field == "type"
    assert "dossier.received" in message
    assert "dossier.lost" not in message


@pytest.mark.parametrize("value", [None, 7, ["dossier.received"]])
def test_a_missing_or_non_string_type_is_one_error_on_type(value: object) -> None:
    assert [field for field, _ in _errors(_example(type=value))] == ["type"]


@pytest.mark.parametrize("raw", [[], "event", 3, None])
def test_an_event_that_is_not_an_object_is_reported_whole(raw: object) -> None:
    assert _errors(raw) == [("", "an event must be a JSON object")]


def test_data_that_is_not_an_object_is_reported_on_data() -> None:
    assert _errors(_example(data=[1])) == [("data", "must be a JSON object")]


def test_extension_attributes_named_per_cloudevents_are_kept() -> None:
    raw = _example(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    (event,), errors = parse_events([raw])
    assert errors == []
    assert event.extensions == {"traceparent": raw["traceparent"]}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("data_base64", "e30="),
        ("TraceParent", "x"),
        ("a" * 21, "x"),
        ("priority", 3),
        ("priority", "x" * 1001),
    ],
)
def test_other_unknown_attributes_are_rejected_by_name(name: str, value: object) -> None:
    fields = {field for field, _ in _errors(_example(**{name: value}))}
    assert fields == {name}


def test_errors_serialise_for_the_422_body() -> None:
    _, [error] = parse_events([_example(time="2025-08-01")])
    assert isinstance(error, EventError)
    assert set(error.model_dump()) == {"index", "field", "message"}


def test_an_aware_datetime_object_is_accepted_and_a_naive_one_refused() -> None:
    aware = _example()
    aware["time"] = datetime(2025, 8, 1, 10, tzinfo=timezone(timedelta(hours=7)))
    assert parse_events([aware])[1] == []
    naive = _example()
    naive["time"] = datetime(2025, 8, 1, 10)
    assert [field for field, _ in _errors(naive)] == ["time"]

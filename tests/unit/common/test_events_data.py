"""The per-type `data` schemas: unknown fields, exact enums, bounds, defaults, strict JSON types."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from dunghan_common.events import (
    EXAMPLES,
    DossierReceived,
    PaymentCompleted,
    parse_events,
)

pytestmark = pytest.mark.unit


def _with_data(event_type: str, path: str, value: object) -> dict[str, Any]:
    """An example event with the data field at a dotted path set (or removed, for ...)."""
    event = copy.deepcopy(EXAMPLES[event_type])
    *parents, leaf = path.split(".")
    target = event["data"]
    for part in parents:
        target = target[part]
    if value is ...:
        del target[leaf]
    else:
        target[leaf] = value
    return event


def _fields(event: dict[str, Any]) -> list[str]:
    """The fields parse_events reports for one event."""
    events, errors = parse_events([event])
    assert not events
    return [e.field for e in errors]


@pytest.mark.parametrize(
    ("event_type", "path"),
    [
        ("dossier.received", "surprise"),
        ("dossier.received", "procedure.surprise"),
        ("dossier.received", "time_limit.surprise"),
        ("dossier.received", "applicant.id_number"),
        ("dossier.assigned", "assignee.phone"),
        ("dossier.resumed", "reason"),
        ("portal.snapshot", "status"),
        ("system.outage_ended", "subject"),
    ],
)
def test_unknown_data_fields_are_rejected_where_they_are(event_type: str, path: str) -> None:
    assert _fields(_with_data(event_type, path, "x")) == [f"data.{path}"]


@pytest.mark.parametrize(
    ("event_type", "path", "value"),
    [
        ("dossier.submitted", "channel", "email"),
        ("dossier.received", "channel", "ONLINE"),
        ("dossier.returned", "channel", "post"),
        ("dossier.received", "time_limit.unit", "days"),
        ("dossier.paused", "kind", "fees"),
        ("payment.completed", "method", "cash"),
    ],
)
def test_enums_are_exact(event_type: str, path: str, value: str) -> None:
    assert _fields(_with_data(event_type, path, value)) == [f"data.{path}"]


@pytest.mark.parametrize(
    ("event_type", "path", "value"),
    [
        ("dossier.received", "time_limit.value", 0),
        ("dossier.received", "time_limit.value", "3"),
        ("dossier.received", "time_limit.value", 3.0),
        ("dossier.received", "time_limit.value", True),
        ("dossier.received", "fee_required", "true"),
        ("dossier.received", "fee_required", 1),
        ("dossier.received", "unit_code", ""),
        ("dossier.received", "unit_code", "000.00.12.H50 "),
        ("dossier.received", "procedure.name", "x" * 201),
        ("dossier.received", "applicant.email", "not-an-email"),
        ("dossier.received", "applicant.phone", "call me"),
        ("dossier.supplement_requested", "reason", "x" * 2001),
        ("dossier.result_digitized", "file_url", "ftp://files/x.pdf"),
        ("dossier.result_digitized", "stored_in_data_warehouse", "yes"),
        ("payment.completed", "amount", -1),
        ("payment.completed", "amount", 1.5),
        ("payment.completed", "amount", 10**16),
        ("portal.sync_succeeded", "status_code", 0),
        ("portal.sync_failed", "status_code", 11),
        ("portal.snapshot", "status_code", "4"),
    ],
)
def test_bad_values_are_located(event_type: str, path: str, value: object) -> None:
    assert _fields(_with_data(event_type, path, value)) == [f"data.{path}"]


@pytest.mark.parametrize(
    ("event_type", "path"),
    [
        ("dossier.received", "applicant"),
        ("dossier.received", "applicant.name"),
        ("dossier.received", "time_limit.value"),
        ("dossier.received", "procedure"),
        ("dossier.assigned", "assignee"),
        ("dossier.transferred", "to_unit_code"),
        ("dossier.result_digitized", "stored_in_data_warehouse"),
        ("payment.completed", "amount"),
        ("portal.sync_failed", "error_message"),
        ("system.error", "component"),
    ],
)
def test_required_data_fields_are_reported_missing(event_type: str, path: str) -> None:
    assert _fields(_with_data(event_type, path, ...)) == [f"data.{path}"]


@pytest.mark.parametrize(
    ("event_type", "path"),
    [
        ("dossier.received", "receiving_unit_code"),
        ("dossier.received", "procedure.level"),
        ("dossier.received", "due_at"),
        ("dossier.received", "assignee"),
        ("dossier.received", "applicant.email"),
        ("dossier.received", "applicant.phone"),
        ("dossier.assigned", "unit_code"),
        ("dossier.assigned", "assignee.email"),
        ("dossier.transferred", "step_due_at"),
        ("dossier.paused", "legal_basis"),
        ("dossier.result_ready", "result_code"),
        ("dossier.withdrawn", "reason"),
        ("portal.snapshot", "due_at"),
    ],
)
def test_optional_data_fields_may_be_left_out(event_type: str, path: str) -> None:
    assert parse_events([_with_data(event_type, path, ...)])[1] == []


def test_received_flags_default_as_the_contract_says() -> None:
    event = _with_data("dossier.received", "fee_required", ...)
    del event["data"]["e_result_required"]
    (parsed,), _ = parse_events([event])
    assert isinstance(parsed.data, DossierReceived)
    assert parsed.data.fee_required is False
    assert parsed.data.e_result_required is True


def test_procedure_level_is_a_free_bounded_string() -> None:
    assert parse_events([_with_data("dossier.received", "procedure.level", "level_4")])[1] == []
    long = _with_data("dossier.received", "procedure.level", "x" * 51)
    assert _fields(long) == ["data.procedure.level"]


def test_a_free_payment_is_valid() -> None:
    (event,), _ = parse_events([_with_data("payment.completed", "amount", 0)])
    assert isinstance(event.data, PaymentCompleted)
    assert event.data.amount == 0


def test_every_error_of_an_event_is_listed() -> None:
    event = _with_data("dossier.received", "channel", "fax")
    event["data"]["time_limit"]["value"] = -2
    event["data"]["extra"] = 1
    event["time"] = "soon"
    assert sorted(_fields(event)) == [
        "data.channel",
        "data.extra",
        "data.time_limit.value",
        "time",
    ]


def test_messages_never_echo_the_offending_value() -> None:
    event = _with_data("dossier.received", "applicant.phone", "nhà riêng 0912 xyz")
    event["data"]["applicant"]["email"] = "an.nguyen at example.vn"
    _, errors = parse_events([event])
    assert len(errors) == 2
    for error in errors:
        assert "0912" not in error.message
        assert "an.nguyen" not in error.message

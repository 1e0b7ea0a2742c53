"""The one-call validation of a request accepts and refuses exactly like `parse_events`."""

from __future__ import annotations

import copy

from dunghan_common.events import EXAMPLES, parse_events
from ingest.domain.validation import validate_events

from tests.unit.ingest.test_ingest_records import variants


def test_valid_requests_give_the_same_events() -> None:
    raw = variants() * 3
    events, errors = validate_events(raw)
    assert errors == []
    expected, _ = parse_events(raw)
    assert events == expected
    assert [type(e) for e in events] == [type(e) for e in expected]


def test_invalid_requests_give_the_same_errors() -> None:
    bad_type = {**copy.deepcopy(EXAMPLES["dossier.submitted"]), "type": "dossier.nope"}
    extra = copy.deepcopy(EXAMPLES["payment.completed"])
    extra["data"]["tip"] = 1
    naive = {**copy.deepcopy(EXAMPLES["dossier.resumed"]), "time": "2025-08-01T10:00:00"}
    raw = [EXAMPLES["dossier.assigned"], bad_type, extra, "not an object", naive]
    events, errors = validate_events(raw)
    assert (events, errors) == parse_events(raw)
    assert {e.index for e in errors} == {1, 2, 3, 4}

"""The one-call validation of a request accepts and refuses exactly like `parse_events`."""

from __future__ import annotations

import copy

import orjson
import pytest
from dunghan_common.events import EXAMPLES, parse_events
from ingest.domain.bodies import (
    CLOUDEVENT,
    CLOUDEVENTS_BATCH,
    JSON,
    NDJSON,
    BodyError,
    decode_body,
)
from ingest.domain.validation import validate_body, validate_events

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


def _body(events: list[dict], kind: str) -> bytes:
    if kind == CLOUDEVENT:
        return orjson.dumps(events[0])
    return b" \n" + orjson.dumps(events) + b"\n"


def _step_by_step(kind: str, body: bytes) -> list | None:
    try:
        raw = decode_body(kind, body)
    except BodyError:
        return None
    events, errors = validate_events(raw)
    return None if errors or not raw else events


@pytest.mark.parametrize("kind", [CLOUDEVENT, CLOUDEVENTS_BATCH, JSON])
def test_a_valid_body_gives_the_same_events_in_one_pass(kind: str) -> None:
    raw = variants() * 2 if kind != CLOUDEVENT else variants()[:1]
    body = _body(raw, kind)
    fast = validate_body(kind, body)
    assert fast is not None
    assert fast == _step_by_step(kind, body)
    assert [type(e) for e in fast] == [type(e) for e in _step_by_step(kind, body) or []]


def _mutations() -> list[tuple[str, bytes]]:
    submitted = EXAMPLES["dossier.submitted"]
    good = orjson.dumps(submitted)
    lower = {**submitted, "time": "2025-08-01t10:00:00z"}
    naive = {**submitted, "time": "2025-08-01T10:00:00"}
    nan = copy.deepcopy(EXAMPLES["portal.sync_succeeded"])
    return [
        (JSON, b"[]"),
        (JSON, b"{}"),
        (CLOUDEVENT, b"[" + good + b"]"),
        (CLOUDEVENTS_BATCH, good),
        (NDJSON, good + b"\n" + good),
        (JSON, b"[" + orjson.dumps(lower) + b"]"),
        (JSON, b"[" + orjson.dumps(naive) + b"]"),
        (JSON, good[:-1] + b',"id":"x y"}'),  # a repeated key: the last one wins in both parsers
        (JSON, good[:-1] + b',"id":"again"}'),
        (JSON, orjson.dumps(nan).replace(b'"status_code":', b'"status_code":NaN,"x":')),
        (JSON, orjson.dumps(nan).replace(b'"status_code":', b'"status_code":1e400,"x":')),
        (JSON, good.replace(b'"specversion"', b'"name":"a\\u0000b","specversion"')),
        (JSON, b"\xef\xbb\xbf" + good),
        (JSON, good + b"x"),
        (JSON, b"[" * 2000 + b"]" * 2000),
        (JSON, b"[" + good + b"," + good.replace(b"dossier.submitted", b"dossier.nope") + b"]"),
    ]


@pytest.mark.parametrize(("kind", "body"), _mutations())
def test_the_one_pass_answers_only_what_the_step_by_step_path_accepts(
    kind: str, body: bytes
) -> None:
    fast = validate_body(kind, body)
    assert fast is None or fast == _step_by_step(kind, body)

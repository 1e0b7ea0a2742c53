"""The fast decoder accepts exactly what `from_kafka` accepts, with the same result."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from dunghan_common.events import (
    EXAMPLES,
    EventValidationError,
    from_kafka,
    parse_event,
    split_contact,
    to_kafka,
)
from dunghan_common.events.fast import _fast, decode_topic_event
from dunghan_common.kafka import PoisonMessageError
from sla.adapters.kafka import to_dossier_event

Headers = list[tuple[str, bytes]]


def topic_message(raw: dict[str, Any]) -> tuple[bytes, Headers]:
    """An example as it sits on `dossier-events` (the applicant split off)."""
    event = parse_event(copy.deepcopy(raw))
    event, _ = split_contact(event)
    message = to_kafka(event)
    return message.value, list(message.headers)


MESSAGES = [topic_message(raw) for raw in EXAMPLES.values()]


@pytest.mark.parametrize(("value", "headers"), MESSAGES)
def test_every_example_takes_the_fast_path_and_decodes_the_same(value, headers) -> None:
    full = from_kafka(None, value, headers)
    fast = _fast(value, headers)
    assert fast is not None
    assert (fast.id, fast.source, fast.type, fast.time, fast.subject, fast.data) == (
        full.id,
        full.source,
        full.type,
        full.time,
        full.subject,
        full.data,
    )


def _with_data(value: bytes, **changes: Any) -> bytes:
    data = orjson.loads(value)
    data.update(changes)
    return orjson.dumps(data)


def _with_header(headers: Headers, name: str, raw: bytes | None) -> Headers:
    kept = [(n, v) for n, v in headers if n != name]
    return kept if raw is None else [*kept, (name, raw)]


RECEIVED_VALUE, RECEIVED_HEADERS = topic_message(EXAMPLES["dossier.received"])
MALFORMED = {
    "unknown data field": (_with_data(RECEIVED_VALUE, surprise=1), RECEIVED_HEADERS),
    "wrong data type": (_with_data(RECEIVED_VALUE, fee_required="yes"), RECEIVED_HEADERS),
    "not JSON": (b"{not json", RECEIVED_HEADERS),
    "no value": (None, RECEIVED_HEADERS),
    "naive time": (
        RECEIVED_VALUE,
        _with_header(RECEIVED_HEADERS, "ce_time", b"2025-08-01T10:00:00"),
    ),
    "no subject": (RECEIVED_VALUE, _with_header(RECEIVED_HEADERS, "ce_subject", None)),
    "subject with a space": (
        RECEIVED_VALUE,
        _with_header(RECEIVED_HEADERS, "ce_subject", b"a b"),
    ),
    "unknown type": (RECEIVED_VALUE, _with_header(RECEIVED_HEADERS, "ce_type", b"dossier.x")),
    "bad extension": (RECEIVED_VALUE, _with_header(RECEIVED_HEADERS, "ce_Bad", b"x")),
    "bad spec version": (
        RECEIVED_VALUE,
        _with_header(RECEIVED_HEADERS, "ce_specversion", b"0.3"),
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_records_are_refused_like_the_full_path(case: str) -> None:
    value, headers = MALFORMED[case]
    with pytest.raises(EventValidationError):
        from_kafka(None, value, headers)
    assert _fast(value, headers) is None
    with pytest.raises(EventValidationError):
        decode_topic_event(value, headers)


def test_what_only_the_full_path_accepts_is_still_accepted() -> None:
    headers = _with_header(RECEIVED_HEADERS, "ce_traceid", b"abc123")  # a valid extension
    assert _fast(RECEIVED_VALUE, headers) is None
    assert (
        decode_topic_event(RECEIVED_VALUE, headers).subject
        == from_kafka(None, RECEIVED_VALUE, headers).subject
    )


class _Record:
    def __init__(self, value: bytes | None, headers: Headers) -> None:
        self.key, self.value, self.headers = b"k", value, headers


def test_the_consumer_dead_letters_a_malformed_record() -> None:
    value, headers = MALFORMED["unknown data field"]
    with pytest.raises(PoisonMessageError):
        to_dossier_event(_Record(value, headers))  # type: ignore[arg-type]
    slim = to_dossier_event(_Record(RECEIVED_VALUE, RECEIVED_HEADERS))  # type: ignore[arg-type]
    assert slim is not None
    assert slim.data["time_limit_value"] >= 1
    assert "applicant" not in slim.data
    assert "assignee" not in slim.data


def test_the_portal_format_s_guesses_reach_the_slim_event_and_unknown_ones_do_not() -> None:
    """``dvcqgflags`` takes the full path; only the declared flags are kept, sorted."""
    value, headers = MESSAGES[0]
    flagged = [*headers, ("ce_dvcqgflags", b"unknown_unit time_limit_inferred made_up")]
    assert _fast(value, flagged) is None
    decoded = decode_topic_event(value, flagged)
    assert decoded.flags == ("time_limit_inferred", "unknown_unit")
    record = ConsumerRecord("t", 0, 0, 0, 0, None, value, None, 0, len(value), flagged)
    slim = to_dossier_event(record)
    assert slim is not None
    assert slim.flags == ("time_limit_inferred", "unknown_unit")
    assert decode_topic_event(value, headers).flags == ()

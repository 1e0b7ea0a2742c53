"""parse_events as ingest uses it: many events, a bounded error list, no exception for bad input."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from dunghan_common.events import (
    EXAMPLES,
    MAX_ERRORS,
    EventValidationError,
    from_kafka,
    parse_event,
    parse_events,
    split_contact,
    to_kafka,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit


def _garbage(unknown_fields: int) -> dict[str, Any]:
    """A dossier.resumed event with that many unknown data fields."""
    event = copy.deepcopy(EXAMPLES["dossier.resumed"])
    event["data"] = {f"f{i}": i for i in range(unknown_fields)}
    return event


def test_a_thousand_valid_events_pass() -> None:
    batch = [EXAMPLES[t] for t in sorted(EXAMPLES)] * 46
    events, errors = parse_events(batch[:1000])
    assert errors == []
    assert len(events) == 1000


def test_errors_are_capped_with_a_closing_note() -> None:
    batch = [EXAMPLES["dossier.resumed"], _garbage(60), _garbage(60), _garbage(60)]
    events, errors = parse_events(batch)
    assert len(events) == 1
    assert len(errors) == MAX_ERRORS + 1
    assert [e.index for e in errors[:60]] == [1] * 60
    assert {e.index for e in errors[60:MAX_ERRORS]} == {2}
    note = errors[-1]
    assert (note.index, note.field) == (2, "")
    assert note.message.startswith(f"{3 * 60 - MAX_ERRORS} more errors not listed")


def test_the_cap_is_a_parameter() -> None:
    _, errors = parse_events([_garbage(3), _garbage(3)], max_errors=2)
    assert [(e.index, e.field) for e in errors] == [(0, "data.f0"), (0, "data.f1"), (0, "")]
    assert errors[-1].message.startswith("4 more errors")


def test_no_note_when_the_errors_fit() -> None:
    _, errors = parse_events([_garbage(MAX_ERRORS)])
    assert len(errors) == MAX_ERRORS
    assert all(e.field.startswith("data.f") for e in errors)


def test_parse_event_raises_with_every_error() -> None:
    with pytest.raises(EventValidationError) as caught:
        parse_event(_garbage(2))
    assert [e.field for e in caught.value.errors] == ["data.f0", "data.f1"]
    assert "data.f0" in str(caught.value)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def _containers(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event and every object nested in it."""
    found = [event]
    for value in event.values():
        if isinstance(value, dict):
            found.extend(_containers(value))
    return found


@st.composite
def _mutated(draw: st.DrawFn) -> object:
    """An example event with a few random deletions, replacements and additions, or pure noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_json)
    event = copy.deepcopy(EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))])
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(event)))
        key = draw(st.sampled_from(sorted(target)) if target else st.text(max_size=10))
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete":
            target.pop(key, None)
        elif action == "replace":
            target[key] = draw(_json)
        else:
            target[draw(st.text(max_size=25))] = draw(_json)
    return event


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutated(), min_size=1, max_size=4))
def test_a_random_mutation_never_raises(batch: list[object]) -> None:
    events, errors = parse_events(batch)
    failed = {e.index for e in errors}
    assert len(events) + len(failed) == len(batch)
    assert all(0 <= e.index < len(batch) and e.message for e in errors)
    # What validates must survive the trip through Kafka unchanged.
    for event in events:
        public, _ = split_contact(event)
        assert from_kafka(*to_kafka(public)) == public


def test_a_huge_unknown_field_name_is_cut_in_the_path() -> None:
    event = _garbage(0)
    event["data"] = {"x" * 10_000: 1}
    _, [error] = parse_events([event])
    assert error.field == "data." + "x" * 195

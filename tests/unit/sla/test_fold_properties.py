"""Property tests: any order and any duplication of the same events give the same state."""

from __future__ import annotations

import dataclasses

import orjson
from dunghan_common.events.dvcqgflags import DVCQG_FLAGS
from hypothesis import given, settings
from hypothesis import strategies as st
from sla.adapters.sql_projection import _chunk_events, _chunks
from sla.domain.alerts import projection_alerts
from sla.domain.fold import fold, fold_from, snapshot_last
from sla.domain.model import order_events

from tests.unit.sla.helpers import DOSSIER, calendar, event, received, rules

STORY = [
    received("2025-08-04 08:00", 4, due_at="2025-08-07T17:00:00+07:00"),
    event("assigned", "2025-08-04 08:30", assignee_id="cb-1"),
    event("supplement_requested", "2025-08-04 10:00", reason="x"),
    event("supplement_received", "2025-08-05 10:00"),
    event("paused", "2025-08-06 09:00", kind="verification"),
    event("resumed", "2025-08-06 11:00"),
    event("rescheduled", "2025-08-07 09:00", new_due_at="2025-08-12T17:00:00+07:00"),
    event("transferred", "2025-08-07 10:00", to_unit_code="000.00.31.H50"),
    event("result_ready", "2025-08-08 16:00"),
    event("returned", "2025-08-09 08:00", channel="online"),
    # Same instant as result_ready: the tie is broken by (source, id), never by arrival.
    event("payment.completed", "2025-08-08 16:00", method="offline"),
]
EXPECTED = fold(DOSSIER, STORY, rules(), calendar())


@settings(max_examples=200, deadline=None)
@given(st.permutations(STORY))
def test_any_permutation_gives_the_same_state(events) -> None:
    assert fold(DOSSIER, events, rules(), calendar()) == EXPECTED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(STORY), max_size=30), st.randoms())
def test_duplicates_change_nothing(extra, rnd) -> None:
    events = [*STORY, *extra]
    rnd.shuffle(events)
    assert fold(DOSSIER, events, rules(), calendar()) == EXPECTED


def test_the_story_is_not_trivial() -> None:
    assert EXPECTED.finished_timeliness is not None
    assert EXPECTED.paused_seconds > 0
    assert EXPECTED.unit_code == "000.00.31.H50"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(STORY)), st.randoms())
def test_continuing_from_a_snapshot_equals_the_full_fold(split, rnd) -> None:
    ordered = order_events(STORY)
    head, tail = ordered[:split], ordered[split:]
    rnd.shuffle(tail)
    first = fold_from(None, DOSSIER, head, rules(), calendar())
    stored = orjson.loads(orjson.dumps(first.snapshot))  # as the database keeps it
    assert snapshot_last(stored) == first.last
    assert fold_from(stored, DOSSIER, tail, rules(), calendar()).state == EXPECTED


def test_the_portal_format_s_guesses_become_flags_of_the_dossier_and_survive_storage() -> None:
    """A flag from ``dvcqgflags`` is kept from the first event that carried it, and the stored
    chunk of events gives the same events back (so a fold again keeps it)."""
    guessed = dataclasses.replace(STORY[0], flags=("time_limit_inferred",))
    later = dataclasses.replace(STORY[3], flags=("time_from_arrival", "time_limit_inferred"))
    story = [guessed, *STORY[1:3], later, *STORY[4:]]
    state = fold(DOSSIER, story, rules(), calendar())
    assert state.flags["time_limit_inferred"] == STORY[0].time
    assert state.flags["time_from_arrival"] == STORY[3].time
    assert {k: v for k, v in state.flags.items() if k not in DVCQG_FLAGS} == EXPECTED.flags
    [dossier], [chunk] = _chunks(story)
    assert _chunk_events(dossier, chunk) == story
    occasions = {alert.occasion for alert in projection_alerts(state)}
    assert {"time_limit_inferred", "time_from_arrival"} <= occasions

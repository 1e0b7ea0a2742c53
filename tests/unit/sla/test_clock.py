"""The clock of docs/domain.md §4: worked example, holidays, swaps, cutoff, pauses and restarts."""

from __future__ import annotations

from sla.domain.assess import breached_at, timeliness
from sla.domain.fold import fold
from sla.domain.timers import plan_timers, timer_time

from tests.unit.sla.helpers import DOSSIER, at, calendar, event, received, rules


def due(*events, **rule_overrides):
    """The judged due date of a dossier made of ``events``."""
    return fold(DOSSIER, events, rules(**rule_overrides), calendar()).due_at


def test_worked_example_across_tet_ends_wednesday_10_00() -> None:
    assert due(received("2025-01-24 10:00", 3)) == at("2025-02-05 10:00")


def test_reception_after_15_00_starts_next_working_day() -> None:
    state = fold(DOSSIER, [received("2025-08-01 15:30", 1)], rules(), calendar())
    assert state.clock_started_at == at("2025-08-04 07:00")  # Friday 15:30 → Monday
    assert state.due_at == at("2025-08-04 17:00")


def test_reception_at_15_00_sharp_starts_at_once() -> None:
    state = fold(DOSSIER, [received("2025-08-01 15:00", 1, "working_hours")], rules(), calendar())
    assert state.due_at == at("2025-08-01 16:00")


def test_cutoff_can_be_disabled_by_the_rule_set() -> None:
    event_ = received("2025-08-01 15:30", 1, "working_hours")
    assert due(event_, late_reception_cutoff=None) == at("2025-08-01 16:30")


def test_reception_outside_office_hours_starts_at_next_opening() -> None:
    assert due(received("2025-08-02 09:00", 1, "working_hours")) == at("2025-08-04 08:00")
    assert due(received("2025-08-04 12:00", 1, "working_hours")) == at("2025-08-04 14:30")


def test_swapped_saturday_is_a_working_day() -> None:
    # Friday 2026-01-09 16:00 (before cutoff? no: after 15:00) → Saturday 10/01 is a working day.
    assert due(received("2026-01-09 16:00", 1)) == at("2026-01-10 17:00")


def test_24_november_2026_is_a_day_off() -> None:
    # Monday 23/11 from 08:00 gives 7 h, Tuesday 24/11 is off, Wednesday gives 8 h, 1 h on Thursday.
    assert due(received("2026-11-23 08:00", 2)) == at("2026-11-26 08:00")
    # The same span a year earlier has no such day off.
    assert due(received("2025-11-24 08:00", 2)) == at("2025-11-26 08:00")


def test_calendar_days_end_at_close_of_next_working_day() -> None:
    # 2 calendar days from Thursday 2025-08-07 lands on Saturday → Monday's close.
    assert due(received("2025-08-07 09:00", 2, "calendar_days")) == at("2025-08-11 17:00")


def test_supplement_pause_adds_the_stopped_working_time() -> None:
    events = [
        received("2025-08-04 08:00", 2),
        event("supplement_requested", "2025-08-04 10:00", reason="x"),
        event("supplement_received", "2025-08-05 10:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert state.paused_seconds == 8 * 3600
    assert state.due_at == at("2025-08-07 08:00")


def test_supplement_restart_starts_the_full_limit_again_per_procedure() -> None:
    events = [
        received("2025-08-04 08:00", 2),
        event("supplement_requested", "2025-08-04 10:00", reason="x"),
        event("supplement_received", "2025-08-05 10:00"),
    ]
    state = fold(
        DOSSIER, events, rules(supplement_rule_by_procedure={"1.004227": "restart"}), calendar()
    )
    assert state.due_at == at("2025-08-07 10:00")


def test_open_pause_stops_the_clock_and_plans_no_timer() -> None:
    events = [
        received("2025-08-04 08:00", 2),
        event("paused", "2025-08-04 09:00", kind="financial_obligation"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert state.clock_state == "paused"
    assert plan_timers(state, rules(), calendar()) == []
    assert timeliness(state, at("2025-09-01 08:00")) == "within_time"


def test_second_supplement_request_is_flagged_and_counts_late() -> None:
    events = [
        received("2025-08-04 08:00", 5),
        event("supplement_requested", "2025-08-04 09:00", reason="x"),
        event("supplement_received", "2025-08-04 10:00"),
        event("supplement_requested", "2025-08-04 11:00", reason="y"),
        event("supplement_received", "2025-08-04 13:30"),
        event("result_ready", "2025-08-05 09:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert set(state.flags) == {"supplement_requested_twice"}
    assert state.finished_timeliness == "late"


def test_reschedule_once_keeps_the_original_due_and_twice_is_flagged() -> None:
    events = [
        received("2025-08-04 07:00", 1),
        event("rescheduled", "2025-08-04 16:00", new_due_at="2025-08-08T17:00:00+07:00"),
    ]
    once = fold(DOSSIER, events, rules(), calendar())
    assert once.promised_due_at == at("2025-08-08 17:00")
    assert once.due_at == at("2025-08-04 17:00")
    assert once.flags == {}
    twice = [*events, event("rescheduled", "2025-08-05 08:00", new_due_at="2025-08-09T17:00+07:00")]
    assert set(fold(DOSSIER, twice, rules(), calendar()).flags) == {"rescheduled_twice"}


def test_source_due_is_judged_and_mismatch_beyond_one_working_hour_is_flagged() -> None:
    close = fold(
        DOSSIER,
        [received("2025-08-04 07:00", 1, due_at="2025-08-04T17:00:00+07:00")],
        rules(),
        calendar(),
    )
    assert close.flags == {}
    far = fold(
        DOSSIER,
        [received("2025-08-04 07:00", 1, due_at="2025-08-05T15:00:00+07:00")],
        rules(),
        calendar(),
    )
    assert set(far.flags) == {"deadline_mismatch"}
    assert far.due_at == at("2025-08-05 15:00")
    assert far.computed_due_at == at("2025-08-04 17:00")


def test_end_of_processing_prefers_result_ready_over_returned_and_stopped() -> None:
    events = [
        received("2025-08-04 08:00", 3),
        event("returned", "2025-08-06 09:00", channel="online"),
        event("result_ready", "2025-08-06 10:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert state.finished_at == at("2025-08-06 10:00")
    assert state.end_event == "dossier.result_ready"
    assert state.status == "result_ready"


def test_finished_timeliness_early_on_time_late() -> None:
    start = received("2025-08-04 07:00", 2)  # due Tuesday 2025-08-05 17:00
    early = fold(DOSSIER, [start, event("result_ready", "2025-08-04 16:00")], rules(), calendar())
    on_time = fold(DOSSIER, [start, event("result_ready", "2025-08-05 17:00")], rules(), calendar())
    late = fold(DOSSIER, [start, event("result_ready", "2025-08-05 17:01")], rules(), calendar())
    assert [s.finished_timeliness for s in (early, on_time, late)] == ["early", "on_time", "late"]
    assert breached_at(late, at("2025-09-01 00:00")) == at("2025-08-05 17:00")


def test_open_dossier_turns_overdue_after_due() -> None:
    state = fold(DOSSIER, [received("2025-08-04 07:00", 1)], rules(), calendar())
    assert timeliness(state, at("2025-08-04 16:59")) == "within_time"
    assert timeliness(state, at("2025-08-04 17:01")) == "overdue"


def test_timers_fire_at_due_and_one_working_day_before() -> None:
    state = fold(DOSSIER, [received("2025-08-04 07:00", 3)], rules(), calendar())
    timers = {t.kind: t.fire_at for t in plan_timers(state, rules(), calendar())}
    assert timers == {"breach": at("2025-08-06 17:00"), "apology_window": at("2025-08-05 17:00")}


def test_no_timer_fires_within_the_quiet_period_and_each_keeps_its_own_time() -> None:
    state = fold(DOSSIER, [received("2025-08-04 07:00", 3)], rules(), calendar())
    quiet = {t.kind: t.fire_at for t in plan_timers(state, rules(), calendar(), at("2025-08-10"))}
    assert quiet == {"breach": at("2025-08-10 00:00"), "apology_window": at("2025-08-10 00:00")}
    early = {t.kind: t.fire_at for t in plan_timers(state, rules(), calendar(), at("2025-08-06"))}
    assert early == {"breach": at("2025-08-06 17:00"), "apology_window": at("2025-08-06 00:00")}
    own = {k: timer_time(state, k, rules(), calendar()) for k in ("breach", "apology_window")}
    assert own == {"breach": at("2025-08-06 17:00"), "apology_window": at("2025-08-05 17:00")}


def test_transfer_changes_the_processing_unit_and_kpi_facts_are_kept() -> None:
    events = [
        received("2025-08-04 08:00", 3),
        event("transferred", "2025-08-04 09:00", to_unit_code="000.00.31.H50"),
        event("payment.completed", "2025-08-04 09:30", method="online_national_portal"),
        event("portal.sync_succeeded", "2025-08-04 09:31"),
        event("result_digitized", "2025-08-05 09:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert state.unit_code == "000.00.31.H50"
    assert (state.paid_online, state.synced, state.digitized) == (True, True, True)


def test_first_working_morning_after_tet_2026() -> None:
    # Friday 13/02/2026 after 15:00: Tết closes 14/02–22/02, the clock starts Monday 23/02 07:00.
    state = fold(DOSSIER, [received("2026-02-13 15:30", 1)], rules(), calendar())
    assert state.clock_started_at == at("2026-02-23 07:00")
    assert state.due_at == at("2026-02-23 17:00")


def test_a_friday_swapped_away_is_a_day_off() -> None:
    # Wed 31/12/2025 09:00 + 8 h: Thu 1/1 is the holiday, Fri 2/1 is swapped for Sat 10/1.
    assert due(received("2025-12-31 09:00", 1)) == at("2026-01-05 09:00")


def test_swapped_saturday_of_quoc_khanh_2026_is_a_working_day() -> None:
    # Fri 21/08/2026 after 15:00 → Saturday 22/08 is worked (for Monday 31/08).
    assert due(received("2026-08-21 15:30", 1)) == at("2026-08-22 17:00")
    # Fri 28/08 from 08:00, 16 h: 7 h Friday; Mon 31/08, Tue 1/9, Wed 2/9 off; 8 h Thursday 3/9;
    # the last hour on Friday 4/9.
    assert due(received("2026-08-28 08:00", 2)) == at("2026-09-04 08:00")


def test_after_15_00_before_24_november_2026_skips_the_holiday() -> None:
    state = fold(DOSSIER, [received("2026-11-23 15:30", 1)], rules(), calendar())
    assert state.clock_started_at == at("2026-11-25 07:00")  # Tuesday 24/11 is off
    assert state.due_at == at("2026-11-25 17:00")


def test_reception_after_15_00_and_outside_office_hours() -> None:
    # Friday evening and Saturday afternoon both start on Monday's opening.
    for when in ("2025-08-01 20:00", "2025-08-02 16:00", "2025-08-03 06:00"):
        state = fold(DOSSIER, [received(when, 1)], rules(), calendar())
        assert state.clock_started_at == at("2025-08-04 07:00"), when
    # Before the opening of a working day: that day's opening; after closing: the next day's.
    early = fold(DOSSIER, [received("2025-08-05 06:30", 1, "working_hours")], rules(), calendar())
    late = fold(DOSSIER, [received("2025-08-05 17:30", 1, "working_hours")], rules(), calendar())
    assert (early.clock_started_at, early.due_at) == (
        at("2025-08-05 07:00"),
        at("2025-08-05 08:00"),
    )
    assert (late.clock_started_at, late.due_at) == (at("2025-08-06 07:00"), at("2025-08-06 08:00"))

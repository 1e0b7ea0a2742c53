"""Journeys of the clock through HTTP only: finished early, on time and late; paused and resumed;
supplemented (the default `pause` rule, and a second request counted late); rescheduled."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.journeys import (
    Dossier,
    apologies,
    calendar,
    due,
    letter,
    push,
    same_instant,
    sla_view,
    vn,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

HOUR = 3600


def finished(view: dict) -> bool:
    return view["finished_at"] is not None and view["timeliness"] is not None


async def test_dossiers_finished_early_on_time_and_late_are_judged_on_the_working_calendar(
    running_system,
):
    cal = calendar()
    received = vn(2025, 9, 8, 10)
    expected_due = due(received, 3)
    finishes = {
        "early": cal.subtract_working_days(expected_due, 1),
        "on_time": expected_due - dt.timedelta(minutes=30),
        "late": cal.add_working_days(expected_due, 1),
    }
    dossiers = {kind: Dossier(f"t-{kind}") for kind in finishes}
    events = []
    for kind, d in dossiers.items():
        events += [d.received(received), d.result_ready(finishes[kind])]
    assert (await push(running_system, events))["accepted"] == len(events)

    for kind, d in dossiers.items():
        view = await sla_view(running_system, d.code, finished)
        assert view["timeliness"] == kind, view
        assert same_instant(view["due_at"], expected_due), view
        assert same_instant(view["computed_due_at"], expected_due), view
        assert same_instant(view["finished_at"], finishes[kind]), view
        assert view["status"] == "result_ready"
        assert view["clock"]["state"] == "stopped"
        if kind == "late":
            assert same_instant(view["breached_at"], expected_due), view
        else:
            assert view["breached_at"] is None, view


async def test_a_pause_moves_the_due_date_by_its_working_time_and_an_open_pause_holds_it(
    running_system,
):
    cal = calendar()
    received = vn(2025, 10, 6, 9)
    paused, resumed = vn(2025, 10, 7, 9), vn(2025, 10, 8, 9)
    stopped = cal.working_seconds_between(paused, resumed)
    assert stopped == 8 * HOUR  # one working day, by the calendar
    expected_due = cal.add_working_seconds(due(received, 3), stopped)
    finish = expected_due - dt.timedelta(minutes=30)  # late without the pause, on time with it
    resumed_one, still_paused = Dossier("t-pause"), Dossier("t-paused")
    events = [
        resumed_one.received(received),
        resumed_one.event("dossier.paused", paused),
        resumed_one.event("dossier.resumed", resumed),
        resumed_one.result_ready(finish),
        still_paused.received(received),
        still_paused.event("dossier.paused", paused),
    ]
    await push(running_system, events)

    view = await sla_view(running_system, resumed_one.code, finished)
    assert same_instant(view["due_at"], expected_due), view
    assert view["clock"] == {"state": "stopped", "paused_seconds": stopped}
    assert view["timeliness"] == "on_time"

    open_view = await sla_view(running_system, still_paused.code, lambda v: v["status"] == "paused")
    assert open_view["clock"]["state"] == "paused", open_view
    # The base due date is long past, but a stopped clock is never overdue.
    assert open_view["timeliness"] == "within_time", open_view


async def test_a_supplement_pauses_the_clock_and_a_second_request_counts_late(running_system):
    cal = calendar()
    received = vn(2025, 10, 13, 9)
    asked, got = vn(2025, 10, 14, 14), vn(2025, 10, 16, 10)
    stopped = cal.working_seconds_between(asked, got)
    expected_due = cal.add_working_seconds(due(received, 3), stopped)
    once, twice = Dossier("t-supp"), Dossier("t-supp2")
    events = [
        once.received(received),
        once.event("dossier.supplement_requested", asked),
        once.event("dossier.supplement_received", got),
        once.result_ready(expected_due - dt.timedelta(minutes=30)),
        twice.received(received),
        twice.event("dossier.supplement_requested", asked),
        twice.event("dossier.supplement_received", got),
        twice.event("dossier.supplement_requested", got + dt.timedelta(hours=1)),
        twice.event("dossier.supplement_received", got + dt.timedelta(hours=2)),
        twice.result_ready(received + dt.timedelta(hours=2)),
    ]
    await push(running_system, events)

    view = await sla_view(running_system, once.code, finished)
    assert same_instant(view["due_at"], expected_due), view
    assert view["clock"]["paused_seconds"] == stopped
    assert view["timeliness"] == "on_time"
    assert view["flags"] == []

    twice_view = await sla_view(running_system, twice.code, finished)
    assert "supplement_requested_twice" in twice_view["flags"], twice_view
    assert twice_view["timeliness"] == "late", twice_view  # the index counts it late


async def test_a_rescheduled_dossier_is_judged_by_its_original_date_and_apologised_with_the_new(
    running_system,
):
    cal = calendar()
    received = vn(2025, 6, 2, 9)
    original = due(received, 3)
    new_due = cal.add_working_days(original, 3)
    d = Dossier("t-resched")
    events = [
        d.received(received),
        d.event(
            "dossier.rescheduled",
            cal.subtract_working_seconds(original, 2 * HOUR),
            {"new_due_at": new_due.isoformat()},
        ),
        d.result_ready(ready := cal.add_working_days(original, 1)),  # before the new date
    ]
    await push(running_system, events)

    view = await sla_view(running_system, d.code, finished)
    assert same_instant(view["due_at"], original), view
    assert same_instant(view["promised_due_at"], new_due), view
    assert view["timeliness"] == "late", view

    items = await apologies(running_system, d.code)
    html = await letter(running_system, items[0]["id"])
    # The letter tells the truth of the moment it was issued (docs/domain.md §5): issued once the
    # late finish was known, it says when the result was ready and promises no date; issued while
    # the dossier was still open and overdue, it gives a new date, never one already past (the
    # unit's 2025 date is past today, so the default from the day of issue).
    ready_text = f"{ready:%H} giờ {ready:%M} phút, ngày {ready:%d/%m/%Y}"
    new_text = f"{new_due:%H} giờ {new_due:%M} phút, ngày {new_due:%d/%m/%Y}"
    assert new_text not in html
    year = dt.datetime.now(dt.UTC).year
    assert ready_text in html or f"/{year}" in html or f"/{year + 1}" in html
    assert d.code in html

"""Verdicts on whole histories: a pause after the judged due, late events that overturn a verdict,
stale writers, events outside the window, a wall clock that jumps, the calendar's edges."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from dunghan_common.events.findings import ALERT_MODELS, Finished, VerdictRevised
from sla.domain.fold import fold
from sla.domain.kpis import Targets, targets_for
from sla.domain.verdicts import Announced, announce, revised
from sla.domain.watermark import PartitionProgress
from sla.ports import OutboxRow

from tests.unit.sla.helpers import DOSSIER, at, calendar, event, received, rules
from tests.unit.sla.test_usecases import (
    FakeLogOffsets,
    FakeProjectionStore,
    projector,
    ticker_at,
)

ASYNC = pytest.mark.asyncio(loop_scope="session")
PRINTED = "2025-08-06T17:00:00+07:00"  # 3 working days from Mon 4/8 07:00 would be Wed 6/8 17:00


def test_a_pause_after_the_printed_appointment_does_not_move_it() -> None:
    # Printed Wed 6/8 17:00; computed (5 working days) Fri 8/8 17:00. A pause starting Thu 7/8
    # is after the printed appointment the dossier is judged by: it moves nothing.
    events = [
        received("2025-08-04 07:00", 5, due_at=PRINTED),
        event("paused", "2025-08-07 08:00", kind="financial_obligation"),
        event("resumed", "2025-08-08 17:00"),
        event("result_ready", "2025-08-08 16:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    assert state.due_at == at("2025-08-06 17:00")
    assert state.finished_timeliness == "late"


def test_a_pause_before_the_printed_appointment_moves_it() -> None:
    events = [
        received("2025-08-04 07:00", 3, due_at=PRINTED),
        event("paused", "2025-08-05 07:00", kind="financial_obligation"),
        event("resumed", "2025-08-06 07:00"),
    ]
    assert fold(DOSSIER, events, rules(), calendar()).due_at == at("2025-08-07 17:00")


def test_a_due_date_outside_the_calendar_is_flagged_and_judged_by_the_printed_one() -> None:
    late_reception = received("2035-12-28 08:00", 30, due_at="2036-02-10T17:00:00+07:00")
    state = fold(DOSSIER, [late_reception], rules(), calendar())
    assert "due_outside_calendar" in state.flags
    assert state.due_at == dt.datetime.fromisoformat("2036-02-10T17:00:00+07:00")
    no_printed = fold(DOSSIER, [received("2035-12-28 08:00", 30)], rules(), calendar())
    assert "due_outside_calendar" in no_printed.flags
    assert no_printed.due_at is None


def test_a_due_date_past_the_reviewed_calendar_is_flagged() -> None:
    cal = calendar()
    after = dt.datetime.combine(cal.known_until + dt.timedelta(days=10), dt.time(8), cal.tz)
    state = fold(DOSSIER, [received(after.strftime("%Y-%m-%d %H:%M"), 3)], rules(), cal)
    assert "beyond_calendar_horizon" in state.flags
    before = fold(DOSSIER, [received("2025-08-04 07:00", 3)], rules(), cal)
    assert "beyond_calendar_horizon" not in before.flags


def test_revisions_are_changes_of_what_was_said_not_the_ordinary_course() -> None:
    d1, d2 = at("2025-08-06 17:00"), at("2025-08-07 17:00")
    assert not revised(Announced("overdue", d1), "late", d1)
    assert revised(Announced("overdue", d1), "on_time", d2)
    assert revised(Announced("overdue", d1), "within_time", d2)
    assert revised(Announced("overdue", d1), "late", d2)
    assert revised(Announced("early", d1), "late", d1)
    assert not revised(Announced("within_time", d2), "overdue", d2)
    assert not revised(Announced("on_time", d1), "on_time", d1)


def test_every_end_is_announced_once_whatever_its_timeliness() -> None:
    state = fold(
        DOSSIER,
        [received("2025-08-04 07:00", 3), event("result_ready", "2025-08-05 09:00")],
        rules(),
        calendar(),
    )
    said = announce(None, state, at("2025-08-05 10:00"))
    assert [a.type for a in said.alerts] == ["sla.finished"]
    assert Finished.model_validate(said.alerts[0].data).timeliness == "early"
    assert said.verdict == Announced("early", state.due_at, 0)
    again = announce(said.verdict, state, at("2025-08-05 11:00"))
    assert again.alerts == []
    assert again.verdict is None


@ASYNC
async def test_late_pauses_overturn_a_breach_with_one_revision() -> None:
    store = FakeProjectionStore()
    await projector(store, "2025-08-07 09:00").execute([received("2025-08-04 07:00", 2)])
    ticker = ticker_at(store, "2025-08-07 09:00", FakeLogOffsets())
    assert sorted(f.kind for f in await ticker.execute()) == ["apology_window", "breach"]
    # The pause and its end arrive late: the due date moves past the finish.
    late = [
        event("paused", "2025-08-04 08:00", kind="verification"),
        event("resumed", "2025-08-05 17:00"),
        event("result_ready", "2025-08-07 08:30"),
    ]
    await projector(store, "2025-08-07 09:05").execute(late)
    types = [_type(a) for a in store.alerts.values()]
    assert types.count("sla.verdict_revised") == 1
    assert types.count("sla.finished") == 1
    revision = _data(store, "revised")
    assert isinstance(revision, VerdictRevised)
    assert (revision.previous.timeliness, revision.current.timeliness) == ("overdue", "on_time")
    assert revision.caused_by == ["dossier.paused", "dossier.resumed", "dossier.result_ready"]
    # Redelivered, the same events change nothing.
    await projector(store, "2025-08-07 09:10").execute(late)
    assert [_type(a) for a in store.alerts.values()] == types


@ASYNC
async def test_a_late_second_supplement_request_turns_on_time_to_late_once() -> None:
    store = FakeProjectionStore()
    history = [
        received("2025-08-04 07:00", 3),
        event("supplement_requested", "2025-08-04 08:00", reason="x"),
        event("supplement_received", "2025-08-04 09:00"),
        event("result_ready", "2025-08-05 10:00"),
    ]
    await projector(store, "2025-08-05 11:00").execute(history)
    assert store.verdicts[DOSSIER].timeliness == "early"
    second = event("supplement_requested", "2025-08-04 10:00", reason="again")
    await projector(store, "2025-08-05 12:00").execute([second])
    revision = _data(store, "revised")
    assert isinstance(revision, VerdictRevised)
    assert (revision.previous.timeliness, revision.current.timeliness) == ("early", "late")
    assert store.verdicts[DOSSIER] == Announced("late", revision.current.due_at, 1)


@ASYNC
async def test_a_stale_writer_neither_rewrites_timers_nor_announces() -> None:
    store = FakeProjectionStore()
    reception = received("2025-08-04 07:00", 3)
    finish = event("result_ready", "2025-08-05 10:00")
    await projector(store, "2025-08-05 11:00").execute([reception, finish])
    assert store.timers == {}
    stale = FakeProjectionStore()  # what a replica that lost the partition still holds
    await projector(stale, "2025-08-05 11:00").execute([reception])
    late_write = stale.timers
    # The stale replica's fold (1 event) is written over the newer one (2 events): refused.
    folds = [f for f in [_fold_of([reception])]]
    await store.save([reception], folds, list(late_write.values()), [], ())
    assert store.timers == {}
    assert store.states[DOSSIER].finished_at is not None


@ASYNC
async def test_an_event_dated_2099_neither_ends_a_dossier_nor_moves_the_watermark() -> None:
    store = FakeProjectionStore()
    project = projector(store, "2025-08-07 09:00")
    far = event("result_ready", "2099-01-01 08:00")
    progress = [PartitionProgress("dossier-events", 0, 2, None)]
    states = await project.execute([received("2025-08-04 07:00", 2), far], progress)
    assert states[0].finished_at is None
    assert project.outside_window == 1
    assert store.progress_rows[("dossier-events", 0)].max_event_time is None
    ticker = ticker_at(store, "2025-08-07 09:00", FakeLogOffsets({0: 2}))
    assert "breach" in [f.kind for f in await ticker.execute()]


@ASYNC
async def test_a_wall_clock_ahead_of_the_store_fires_nothing() -> None:
    store = FakeProjectionStore()
    await projector(store, "2025-08-04 08:00").execute([received("2025-08-04 07:00", 2)])
    ticker = ticker_at(store, "2025-08-20 09:00", FakeLogOffsets())
    store.reference = at("2025-08-04 08:00")  # the wall clock jumped 16 days ahead
    assert await ticker.execute() == []
    assert ticker.skew > dt.timedelta(days=15)
    store.reference = at("2025-08-20 08:59:59")  # the clocks agree again
    assert len(await ticker.execute()) == 2


def test_a_year_without_targets_carries_the_last_one_over() -> None:
    targets = {2025: Targets(year=2025, on_time_rate=0.9), 2026: Targets(year=2026)}
    assert targets_for(targets, 2026) == (targets[2026], False)
    assert targets_for(targets, 2027) == (targets[2026], True)
    assert targets_for(targets, 2024) == (None, False)


def _type(row: OutboxRow) -> str:
    return dict(row.headers)["ce_type"].decode()


def _data(store: FakeProjectionStore, kind: str) -> object:
    [row] = [a for (_, k, _), a in store.alerts.items() if k == kind]
    return ALERT_MODELS[_type(row)].model_validate(orjson.loads(row.value))


def _fold_of(events: list) -> object:
    from sla.domain.fold import fold_from

    return fold_from(None, DOSSIER, events, rules(), calendar())

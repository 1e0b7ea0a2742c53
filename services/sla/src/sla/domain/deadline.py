"""The due date (ngày hẹn trả): clock start, time limit, stopped-clock intervals, judgement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from dunghan_common.calendar import CalendarRangeError, TimeLimitUnit
from pydantic import BaseModel

from sla.domain.calendar import WorkingCalendar, clock_start
from sla.domain.model import DossierEvent, DossierState, FinishedTimeliness
from sla.domain.rules import RuleBook, RuleSet


@dataclass(frozen=True, slots=True)
class Interval:
    """A stopped-clock interval: a supplement request or a pause; ``end`` None while open."""

    kind: str
    start: dt.datetime
    end: dt.datetime | None


class _Limit(BaseModel):
    """A time limit with its unit."""

    value: int
    unit: TimeLimitUnit


def derive_deadline(
    state: DossierState,
    received: DossierEvent,
    intervals: Sequence[Interval],
    rules: RuleBook,
    calendar: WorkingCalendar,
) -> DossierState:
    """Fill in the clock of a received dossier: start, due dates, pauses, flags, timeliness.

    A due date the calendar cannot compute (a reception or a due date outside its years) is
    flagged ``due_outside_calendar``; the dossier is then judged by the printed appointment when
    there is one, never silently left without a due date when one is known.
    """
    data = received.data
    rule_set = rules.for_reception(received.time.astimezone(calendar.tz).date())
    limit = _Limit(value=int(data["time_limit_value"]), unit=data["time_limit_unit"])
    source_due = _parse(data.get("due_at"))
    flags = dict(state.flags)
    try:
        start = clock_start(received.time, rule_set.late_reception_cutoff, calendar)
        base_due = calendar.due_at(start, limit.value, limit.unit)
        due, judged, paused, clock = _apply_intervals(
            state, start, base_due, source_due, limit, intervals, rule_set, calendar
        )
    except CalendarRangeError:
        flags.setdefault("due_outside_calendar", received.time)
        return _outside_calendar(state, received, source_due, flags, rule_set)
    if source_due is not None and _mismatch(source_due, base_due, rule_set, calendar):
        flags.setdefault("deadline_mismatch", received.time)
    if judged.astimezone(calendar.tz).date() > calendar.known_until:
        flags.setdefault("beyond_calendar_horizon", received.time)
    finished = _finished(state.finished_at, judged, flags, rule_set)
    return state.model_copy(
        update={
            "received_at": received.time,
            "clock_started_at": start,
            "computed_due_at": due,
            "source_due_at": source_due,
            "due_at": judged,
            "paused_seconds": paused,
            "clock_state": clock,
            "flags": flags,
            "finished_timeliness": finished,
        }
    )


def _outside_calendar(
    state: DossierState,
    received: DossierEvent,
    source_due: dt.datetime | None,
    flags: dict[str, dt.datetime],
    rule_set: RuleSet,
) -> DossierState:
    """The state of a dossier whose due date the calendar cannot compute: judged by the
    printed appointment if there is one (no pause can be applied to it), else by none."""
    update: dict[str, object] = {
        "received_at": received.time,
        "source_due_at": source_due,
        "flags": flags,
    }
    if source_due is not None:
        update["due_at"] = source_due
        update["finished_timeliness"] = _finished(state.finished_at, source_due, flags, rule_set)
    return state.model_copy(update=update)


def _apply_intervals(
    state: DossierState,
    start: dt.datetime,
    base_due: dt.datetime,
    source_due: dt.datetime | None,
    limit: _Limit,
    intervals: Sequence[Interval],
    rule_set: RuleSet,
    calendar: WorkingCalendar,
) -> tuple[dt.datetime, dt.datetime, int, str]:
    """Extend (pause) or restart the due date: the computed and the judged one, the stopped
    working seconds and the clock's state.

    A pause moves only a running clock: an interval that begins at or after the due date the
    dossier is judged by (the printed appointment, as moved so far) moves nothing, and neither
    does one that begins after the end of processing.
    """
    finished = state.finished_at
    clock = "stopped" if finished is not None else "running"
    due = base_due
    judged = _judged_due(source_due, base_due, due, calendar)
    paused, last_end = 0, start
    restart = rule_set.supplement_rule_for(state.procedure_code) == "restart"
    for interval in sorted(intervals, key=lambda i: i.start):
        begin = max(interval.start, last_end)  # overlapping intervals count once
        if begin >= judged or (finished is not None and begin >= finished):
            continue
        end = interval.end if interval.end is not None else finished
        if end is None:
            return due, judged, paused, "paused"  # still stopped: the due date is not known yet
        if end <= begin:
            continue
        worked = calendar.working_seconds_between(begin, end)
        paused += worked
        last_end = end
        if interval.kind == "supplement" and restart:
            due = calendar.due_at(
                clock_start(end, rule_set.late_reception_cutoff, calendar), limit.value, limit.unit
            )
        else:
            due = calendar.add_working_seconds(due, worked)
        judged = _judged_due(source_due, base_due, due, calendar)
    return due, judged, paused, clock


def _judged_due(
    source_due: dt.datetime | None,
    base_due: dt.datetime,
    due: dt.datetime,
    calendar: WorkingCalendar,
) -> dt.datetime:
    """The source's appointment moved by the same stopped-clock time, else the computed due."""
    if source_due is None:
        return due
    shift = calendar.working_seconds_between(base_due, due)
    local = source_due.astimezone(calendar.tz)
    return local if shift == 0 else calendar.add_working_seconds(local, shift)


def _mismatch(
    source_due: dt.datetime, base_due: dt.datetime, rule_set: RuleSet, calendar: WorkingCalendar
) -> bool:
    """True when the printed appointment and ours differ by more than the tolerance."""
    gap = abs(calendar.working_seconds_between(base_due, source_due))
    return gap > rule_set.mismatch_tolerance_seconds


def _finished(
    finished_at: dt.datetime | None,
    due_at: dt.datetime | None,
    flags: dict[str, dt.datetime],
    rule_set: RuleSet,
) -> FinishedTimeliness | None:
    """Early (an earlier day), on time (the due day, not after), or late."""
    if finished_at is None or due_at is None:
        return None
    if rule_set.supplement_twice_counts_late and "supplement_requested_twice" in flags:
        return "late"
    if finished_at > due_at:
        return "late"
    if finished_at.astimezone(due_at.tzinfo).date() < due_at.date():
        return "early"
    return "on_time"


def _parse(value: object) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None

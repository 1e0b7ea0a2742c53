"""The timers of an open dossier: apology window (due − N working days) and breach (due)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from dunghan_common.calendar import TIMEZONE_NAME, CalendarRangeError
from pydantic import BaseModel, ConfigDict

from sla.domain.calendar import WorkingCalendar
from sla.domain.model import DossierState
from sla.domain.rules import RuleBook

TimerKind = Literal["apology_window", "breach"]
_TZ = ZoneInfo(TIMEZONE_NAME)


def occasion_of(due_at: dt.datetime) -> str:
    """The text key of a due date (local ISO time): one alert per (dossier, kind, occasion)."""
    return due_at.astimezone(_TZ).isoformat()


class Timer(BaseModel):
    """A pending timer: fires at ``fire_at`` for the due date ``due_at``."""

    model_config = ConfigDict(frozen=True)

    dossier_id: str
    kind: TimerKind
    due_at: dt.datetime
    fire_at: dt.datetime

    @property
    def occasion(self) -> str:
        """The due date this timer is for, as the fired log keys it."""
        return occasion_of(self.due_at)


def plan_timers(
    state: DossierState,
    rules: RuleBook,
    calendar: WorkingCalendar,
    quiet_until: dt.datetime | None = None,
) -> list[Timer]:
    """The timers a dossier needs now: none once finished, paused or without a due date.

    ``quiet_until``: no timer fires before it (the dossier's latest change plus the quiet
    period): a deadline already past when a dossier's events arrive fires only once they have
    stopped arriving, since the rest of its history (a finish, a pause) may still be on its way.
    The timer still speaks of its own time (`timer_time`).
    """
    if state.due_at is None:
        return []
    timers = []
    for kind in KINDS:
        at = timer_time(state, kind, rules, calendar)
        if at is not None:
            fire_at = at if quiet_until is None else max(at, quiet_until)
            timers.append(
                Timer(dossier_id=state.dossier_id, kind=kind, due_at=state.due_at, fire_at=fire_at)
            )
    return timers


KINDS: tuple[TimerKind, ...] = ("breach", "apology_window")


def timer_time(
    state: DossierState, kind: str, rules: RuleBook, calendar: WorkingCalendar
) -> dt.datetime | None:
    """When a timer of ``kind`` is for: the due date (breach) or due − N working days (apology
    window, N of the rule set of the reception day); None when the dossier needs none."""
    if not state.is_open or state.due_at is None or state.clock_state != "running":
        return None
    if kind == "breach":
        return state.due_at
    if kind != "apology_window" or state.received_at is None:
        return None
    rule_set = rules.for_reception(state.received_at.astimezone(calendar.tz).date())
    try:
        return calendar.subtract_working_days(state.due_at, rule_set.apology_window_working_days)
    except CalendarRangeError:
        return None

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


def plan_timers(state: DossierState, rules: RuleBook, calendar: WorkingCalendar) -> list[Timer]:
    """The timers a dossier needs now: none once finished, paused or without a due date."""
    if not state.is_open or state.due_at is None or state.clock_state != "running":
        return []
    assert state.received_at is not None
    rule_set = rules.for_reception(state.received_at.astimezone(calendar.tz).date())
    due = state.due_at
    timers = [Timer(dossier_id=state.dossier_id, kind="breach", due_at=due, fire_at=due)]
    try:
        window = calendar.subtract_working_days(due, rule_set.apology_window_working_days)
    except CalendarRangeError:
        return timers
    timers.append(
        Timer(dossier_id=state.dossier_id, kind="apology_window", due_at=due, fire_at=window)
    )
    return timers

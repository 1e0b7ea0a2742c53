"""The working-calendar operations the clock needs (``dunghan_common.calendar`` provides them)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from dunghan_common.calendar import TimeLimitUnit


class WorkingCalendar(Protocol):
    """Working-time arithmetic on aware datetimes, results in Asia/Ho_Chi_Minh."""

    tz: ZoneInfo
    #: The last day an official notice was read for (later days follow the Labour Code only).
    known_until: dt.date

    def next_opening(self, t: dt.datetime) -> dt.datetime:
        """``t`` during office hours, else the next opening."""
        ...

    def due_at(self, start: dt.datetime, value: int, unit: TimeLimitUnit) -> dt.datetime:
        """The due instant of a time limit counted from ``start``."""
        ...

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """``seconds`` working seconds after ``start``."""
        ...

    def subtract_working_days(self, t: dt.datetime, days: int) -> dt.datetime:
        """``days`` working days before ``t``."""
        ...

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Signed working seconds from ``a`` to ``b``."""
        ...


def clock_start(
    received_at: dt.datetime, cutoff: dt.time | None, calendar: WorkingCalendar
) -> dt.datetime:
    """When the clock starts: the next opening, or the next day's if received after ``cutoff``."""
    local = received_at.astimezone(calendar.tz)
    if cutoff is not None and local.time().replace(microsecond=0) > cutoff:
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), calendar.tz)
        return calendar.next_opening(midnight)
    return calendar.next_opening(received_at)

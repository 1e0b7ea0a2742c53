"""The business calendar's datetime API: aware datetimes in, Asia/Ho_Chi_Minh datetimes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from dunghan_common.calendar.hours import OfficeHours
from dunghan_common.calendar.table import HOUR, CalendarRangeError, EpochCalendar, TimeLimitUnit

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)
_local = dt.datetime.fromtimestamp  # epoch seconds and a zone to a local datetime


class BusinessCalendar(EpochCalendar):
    """Vietnam's working calendar (lịch làm việc) for deadlines: immutable, built once per process.

    Inputs are aware datetimes with any offset; outputs are in Asia/Ho_Chi_Minh. Resolution is one
    second: sub-second parts of inputs are dropped. The ``*_epoch`` methods are the same
    operations on int epoch seconds, for hot loops. Days after ``known_until`` are still computed
    (Monday–Friday, the holidays package and whatever the override files say) but no reviewed
    notice backs them yet.
    """

    def __init__(
        self,
        *,
        first_day: dt.date,
        flags: Sequence[bool],
        hours: OfficeHours,
        tz: ZoneInfo,
        known_until: dt.date,
    ) -> None:
        base = int(dt.datetime.combine(first_day, dt.time(), tz).timestamp())
        super().__init__(base, flags, hours)
        self.tz = tz
        self.office_hours = hours
        self.first_day = first_day
        self.last_day = first_day + dt.timedelta(days=len(flags) - 1)
        self.known_until = known_until

    def clock_start(self, received_at: dt.datetime) -> dt.datetime:
        """When the clock starts for a dossier received at ``received_at`` (ngày tiếp nhận)."""
        return _local(self.clock_start_epoch(_epoch(received_at)), self.tz)

    def next_opening(self, t: dt.datetime) -> dt.datetime:
        """``t`` itself during office hours, else the next session's opening."""
        return _local(self.next_opening_epoch(_epoch(t)), self.tz)

    def is_office_hours(self, t: dt.datetime) -> bool:
        """Whether the office is open at ``t``."""
        return self.is_office_hours_epoch(_epoch(t))

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The earliest instant ``seconds`` working seconds after ``start`` (before if negative)."""
        return _local(self.add_working_seconds_epoch(_epoch(start), seconds), self.tz)

    def add_working_hours(self, start: dt.datetime, hours: int) -> dt.datetime:
        """``hours`` working hours after ``start``."""
        return _local(self.add_working_seconds_epoch(_epoch(start), hours * HOUR), self.tz)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """``days`` working days (days × 8 working hours by default) after ``start``."""
        return _local(self.add_working_days_epoch(_epoch(start), days), self.tz)

    def subtract_working_seconds(self, t: dt.datetime, seconds: int) -> dt.datetime:
        """The earliest instant ``seconds`` working seconds before ``t``."""
        return _local(self.add_working_seconds_epoch(_epoch(t), -seconds), self.tz)

    def subtract_working_days(self, t: dt.datetime, days: int) -> dt.datetime:
        """``days`` working days before ``t``: ``due − 1`` opens the apology window."""
        return _local(self.add_working_days_epoch(_epoch(t), -days), self.tz)

    def add_calendar_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of office hours on the ``days``-th calendar day, or of the next working day."""
        return _local(self.add_calendar_days_epoch(_epoch(start), days), self.tz)

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Working seconds from ``a`` to ``b``: signed, negative when ``b`` is before ``a``."""
        return self.working_seconds_between_epoch(_epoch(a), _epoch(b))

    def due_at(self, start: dt.datetime, value: int, unit: TimeLimitUnit) -> dt.datetime:
        """The due instant (ngày hẹn trả) of a time limit counted from the clock start."""
        return _local(self.due_at_epoch(_epoch(start), value, unit), self.tz)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` (a local calendar date) is a working day."""
        index = (day - self.first_day).days
        if not 0 <= index < len(self._working):
            raise CalendarRangeError(f"{day} is outside the calendar range")
        return self._working[index]

    def horizon_days(self, today: dt.date) -> int:
        """Days from ``today`` to ``known_until`` (negative once the known part is behind)."""
        return (self.known_until - today).days


def _epoch(t: dt.datetime) -> int:
    """Whole epoch seconds of an aware datetime (floor); naive datetimes are refused."""
    try:
        return (t - _EPOCH) // _SECOND
    except TypeError as error:
        raise ValueError("the business calendar needs aware datetimes") from error

"""The int fast path: working-time arithmetic on epoch seconds over precomputed prefix arrays.

Every working day contributes the same working seconds; ``_cum[d]`` is the working time elapsed
before local day ``d``. An instant's *working position* is ``_cum[d]`` plus the working seconds of
its own day before it, so adding or measuring working time is two O(1) lookups and one ``bisect``
over an int list: the cost does not depend on how far ahead the result lies.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Literal

from dunghan_common.calendar.hours import OfficeHours

DAY = 86_400
HOUR = 3_600

TimeLimitUnit = Literal["working_days", "working_hours", "calendar_days"]
"""The units of a procedure's time limit (thời hạn giải quyết)."""


class CalendarRangeError(ValueError):
    """An instant or a result falls outside the years the calendar was built for."""


class EpochCalendar:
    """Working-time arithmetic on int epoch seconds; results are int epoch seconds.

    Resolution is one second. Positions map back to instants by the *earliest* instant with that
    working position, so a result that lands exactly on a session's close is the close (11:30,
    17:00), never the next opening.
    """

    def __init__(self, base: int, flags: Sequence[bool], hours: OfficeHours) -> None:
        self._base = base
        self._days = len(flags)
        self._working = list(flags)
        self._day_seconds = hours.working_day_seconds
        self._cutoff = hours.cutoff_seconds
        self._sessions = _sessions_with_offsets(hours)
        self._first_open = self._sessions[0][0]
        self._last_close = self._sessions[-1][1]
        self._cum = _prefix_sums(self._working, self._day_seconds)
        self._next_working = _next_working_days(self._working)

    def add_working_seconds_epoch(self, t: int, seconds: int) -> int:
        """The earliest instant ``seconds`` working seconds after ``t`` (before it if negative)."""
        if seconds == 0:
            return t
        return self._instant_at(self._position(t) + seconds)

    def add_working_days_epoch(self, t: int, days: int) -> int:
        """``days`` working days (days × the working day length) after ``t``."""
        if days == 0:
            return t
        return self._instant_at(self._position(t) + days * self._day_seconds)

    def subtract_working_seconds_epoch(self, t: int, seconds: int) -> int:
        """The earliest instant that lies ``seconds`` working seconds before ``t``."""
        return self.add_working_seconds_epoch(t, -seconds)

    def working_seconds_between_epoch(self, a: int, b: int) -> int:
        """Working seconds from ``a`` to ``b``: signed, negative when ``b`` is before ``a``."""
        return self._position(b) - self._position(a)

    def next_opening_epoch(self, t: int) -> int:
        """``t`` itself during office hours, else the next session's opening."""
        return self._opening_from(t, None)

    def clock_start_epoch(self, t: int) -> int:
        """When the clock of a dossier received at ``t`` starts (late cutoff included)."""
        return self._opening_from(t, self._cutoff)

    def add_calendar_days_epoch(self, t: int, days: int) -> int:
        """Close of office hours on the ``days``-th calendar day, or of the next working day."""
        if days < 0:
            raise ValueError("calendar days must not be negative")
        index = self._day_of(t)[0] + days
        if index >= self._days:
            raise CalendarRangeError("result beyond the calendar range")
        return self._day_start(self._next_working_from(index)) + self._last_close

    def due_at_epoch(self, start: int, value: int, unit: TimeLimitUnit) -> int:
        """The due instant of a time limit of ``value`` ``unit`` counted from ``start``."""
        if value < 0:
            raise ValueError("a time limit must not be negative")
        match unit:
            case "working_days":
                return self.add_working_days_epoch(start, value)
            case "working_hours":
                return self.add_working_seconds_epoch(start, value * HOUR)
            case "calendar_days":
                return self.add_calendar_days_epoch(start, value)
        raise ValueError(f"unknown time limit unit: {unit!r}")

    def is_office_hours_epoch(self, t: int) -> bool:
        """Whether the office is open at ``t`` (a working day, inside a session)."""
        index, second = self._day_of(t)
        if not self._working[index]:
            return False
        return any(opening <= second < closing for opening, closing, _ in self._sessions)

    def _day_of(self, t: int) -> tuple[int, int]:
        """The local day index of ``t`` and the seconds since that day's midnight."""
        index, second = divmod(t - self._base, DAY)
        if not 0 <= index < self._days:
            raise CalendarRangeError(f"instant {t} is outside the calendar range")
        return index, second

    def _day_start(self, index: int) -> int:
        """Epoch seconds of local midnight of day ``index``."""
        return self._base + index * DAY

    def _position(self, t: int) -> int:
        """Working seconds elapsed from the start of the range until ``t``."""
        # _day_of inlined: this and _instant_at are the whole hot path.
        index, second = divmod(t - self._base, DAY)
        if not 0 <= index < self._days:
            raise CalendarRangeError(f"instant {t} is outside the calendar range")
        position = self._cum[index]
        if not self._working[index]:
            return position
        for opening, closing, before in self._sessions:
            if second <= opening:
                return position + before
            if second < closing:
                return position + before + second - opening
        return position + self._day_seconds

    def _instant_at(self, position: int) -> int:
        """The earliest instant whose working position is ``position``."""
        index = bisect_left(self._cum, position) - 1
        if index < 0 or index >= self._days:
            raise CalendarRangeError("result outside the calendar range")
        rest = position - self._cum[index]
        for opening, closing, before in self._sessions:
            if rest <= before + closing - opening:
                return self._base + index * DAY + opening + rest - before
        raise AssertionError("unreachable: a working day holds the whole remainder")

    def _opening_from(self, t: int, cutoff: int | None) -> int:
        """``t`` if open (and not after ``cutoff``), else the next opening."""
        index, second = self._day_of(t)
        if self._working[index] and (cutoff is None or second <= cutoff):
            for opening, closing, _ in self._sessions:
                if second < opening:
                    return self._day_start(index) + opening
                if second < closing:
                    return t
        return self._day_start(self._next_working_from(index + 1)) + self._first_open

    def _next_working_from(self, index: int) -> int:
        """The first working day at or after day ``index``."""
        found = self._next_working[index] if index < self._days else self._days
        if found >= self._days:
            raise CalendarRangeError("no working day left in the calendar range")
        return found


def _sessions_with_offsets(hours: OfficeHours) -> tuple[tuple[int, int, int], ...]:
    """Sessions as (open, close, working seconds of the day before this session)."""
    sessions: list[tuple[int, int, int]] = []
    before = 0
    for opening, closing in hours.session_seconds:
        sessions.append((opening, closing, before))
        before += closing - opening
    return tuple(sessions)


def _prefix_sums(working: Sequence[bool], day_seconds: int) -> list[int]:
    """``cum[d]``: working seconds before day ``d``; one more entry than days."""
    cum = [0]
    for flag in working:
        cum.append(cum[-1] + (day_seconds if flag else 0))
    return cum


def _next_working_days(working: Sequence[bool]) -> list[int]:
    """``nxt[d]``: the first working day at or after ``d`` (``len(working)`` if none)."""
    nxt = [len(working)] * (len(working) + 1)
    for index in range(len(working) - 1, -1, -1):
        nxt[index] = index if working[index] else nxt[index + 1]
    return nxt

"""Office hours (giờ hành chính): the sessions of a working day and the late-reception cutoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
"""Every working day is reckoned in Vietnam's time zone (UTC+7, no daylight saving)."""

DEFAULT_SESSIONS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)


def seconds_of_day(moment: time) -> int:
    """Seconds since midnight of a naive wall-clock time (sub-second part dropped)."""
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """The office sessions of every working day and the late-reception cutoff (default 15:00).

    Sessions are half-open wall-clock intervals ``[open, close)`` in Asia/Ho_Chi_Minh, sorted and
    disjoint. A reception strictly after ``late_reception_cutoff`` starts the clock at the next
    working day's opening; ``None`` disables the rule.
    """

    sessions: tuple[tuple[time, time], ...] = DEFAULT_SESSIONS
    late_reception_cutoff: time | None = time(15, 0)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("office hours need at least one session")
        previous_close = -1
        for opening, closing in self.sessions:
            if opening.tzinfo is not None or closing.tzinfo is not None:
                raise ValueError("office hours are naive wall-clock times in Asia/Ho_Chi_Minh")
            if seconds_of_day(opening) >= seconds_of_day(closing):
                raise ValueError(f"session {opening}-{closing} must open before it closes")
            if seconds_of_day(opening) <= previous_close:
                raise ValueError("sessions must be sorted and must not touch or overlap")
            previous_close = seconds_of_day(closing)

    @property
    def session_seconds(self) -> tuple[tuple[int, int], ...]:
        """The sessions as (open, close) seconds since local midnight."""
        return tuple((seconds_of_day(o), seconds_of_day(c)) for o, c in self.sessions)

    @property
    def working_day_seconds(self) -> int:
        """Working seconds in one working day (28,800 = 8 hours by default)."""
        return sum(closing - opening for opening, closing in self.session_seconds)

    @property
    def cutoff_seconds(self) -> int | None:
        """The late-reception cutoff in seconds since local midnight, or None when disabled."""
        cutoff = self.late_reception_cutoff
        return None if cutoff is None else seconds_of_day(cutoff)

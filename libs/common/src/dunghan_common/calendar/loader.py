"""Build the business calendar from the holidays package and the reviewed override files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from dunghan_common.calendar.business import BusinessCalendar
from dunghan_common.calendar.days import working_day_flags
from dunghan_common.calendar.hours import TIMEZONE_NAME, OfficeHours
from dunghan_common.calendar.overrides import known_until, load_overrides

DEFAULT_FIRST_YEAR = 2018
DEFAULT_LAST_YEAR = 2035


def load_calendar(
    override_dir: Path,
    *,
    office_hours: OfficeHours | None = None,
    first_year: int = DEFAULT_FIRST_YEAR,
    last_year: int = DEFAULT_LAST_YEAR,
) -> BusinessCalendar:
    """Read ``override_dir`` (``<year>.toml`` files) and precompute the years asked for.

    Takes about half a second (the holidays package dominates): call it once, in the
    composition root, and pass the calendar to whoever needs it.
    """
    if first_year > last_year:
        raise ValueError("first_year must not be after last_year")
    first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    overrides = load_overrides(override_dir)
    tz = ZoneInfo(TIMEZONE_NAME)
    _check_fixed_offset(tz, first, last)
    return BusinessCalendar(
        first_day=first,
        flags=working_day_flags(first, last, overrides),
        hours=office_hours or OfficeHours(),
        tz=tz,
        known_until=min(known_until(overrides, first - dt.timedelta(days=1)), last),
    )


def _check_fixed_offset(tz: ZoneInfo, first: dt.date, last: dt.date) -> None:
    """Refuse a range with a UTC offset change: the arrays assume 86,400-second days."""
    noon = dt.time(12)
    offsets = {
        dt.datetime.combine(dt.date(year, month, 1), noon, tz).utcoffset()
        for year in range(first.year, last.year + 2)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        raise ValueError(f"{tz} changes its UTC offset between {first} and {last}")

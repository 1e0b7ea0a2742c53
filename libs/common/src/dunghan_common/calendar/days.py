"""Which days are working days: holidays.VN for Vietnam, corrected by the reviewed files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import holidays

from dunghan_common.calendar.overrides import YearOverrides

_SATURDAY = 5


def working_day_flags(
    first: dt.date, last: dt.date, overrides: Mapping[int, YearOverrides]
) -> list[bool]:
    """One flag per day from ``first`` to ``last`` inclusive: True for a working day.

    The base is ``holidays.VN``: Monday–Friday minus its public holidays (Labour Code art. 112,
    lunar Tết, Hùng Kings, compensatory days) and its announced swaps, whose substituted
    Saturdays are in ``weekend_workdays`` and are honoured by ``is_working_day``. The reviewed
    files then win over the package.
    """
    country = holidays.country_holidays("VN", years=range(first.year, last.year + 1))
    count = (last - first).days + 1
    flags = [country.is_working_day(first + dt.timedelta(days=k)) for k in range(count)]
    for year in range(first.year, last.year + 1):
        if year in overrides:
            _apply(flags, first, overrides[year])
    return flags


def _apply(flags: list[bool], first: dt.date, year: YearOverrides) -> None:
    """Apply one year's file: removed days off fall back to the weekday rule, then the lists win."""
    forced = (
        [(e.date, e.date.weekday() < _SATURDAY) for e in year.removed_days_off]
        + [(e.date, False) for e in year.days_off]
        + [(e.date, True) for e in year.working_days]
    )
    for day, working in forced:
        index = (day - first).days
        if 0 <= index < len(flags):
            flags[index] = working

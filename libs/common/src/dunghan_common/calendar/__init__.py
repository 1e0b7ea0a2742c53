"""The business calendar: Vietnam's working days and office hours, for deadlines (thời hạn)."""

from dunghan_common.calendar.business import BusinessCalendar
from dunghan_common.calendar.hours import TIMEZONE_NAME, OfficeHours
from dunghan_common.calendar.loader import DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR, load_calendar
from dunghan_common.calendar.overrides import (
    DayEntry,
    OverrideFileError,
    YearOverrides,
    load_overrides,
)
from dunghan_common.calendar.table import CalendarRangeError, EpochCalendar, TimeLimitUnit

__all__ = [
    "DEFAULT_FIRST_YEAR",
    "DEFAULT_LAST_YEAR",
    "TIMEZONE_NAME",
    "BusinessCalendar",
    "CalendarRangeError",
    "DayEntry",
    "EpochCalendar",
    "OfficeHours",
    "OverrideFileError",
    "TimeLimitUnit",
    "YearOverrides",
    "load_calendar",
    "load_overrides",
]

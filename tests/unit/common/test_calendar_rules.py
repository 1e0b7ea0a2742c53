"""Worked examples of the deadline rules of docs/domain.md §4 on the business calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dunghan_common.calendar import (
    BusinessCalendar,
    CalendarRangeError,
    OfficeHours,
    load_calendar,
)

pytestmark = pytest.mark.unit

OVERRIDES = Path(__file__).resolve().parents[3] / "config" / "calendar"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = 3600


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A wall-clock instant in Asia/Ho_Chi_Minh."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return load_calendar(OVERRIDES)


def test_domain_worked_example(cal: BusinessCalendar) -> None:
    received = at(2025, 1, 24, 10)
    start = cal.clock_start(received)
    due = cal.due_at(start, 3, "working_days")
    assert start == received
    assert due == at(2025, 2, 5, 10)
    assert cal.working_seconds_between(start, due) == 3 * 8 * HOUR


def test_tet_2025_closes_25_jan_to_2_feb(cal: BusinessCalendar) -> None:
    closed = [dt.date(2025, 1, 25) + dt.timedelta(days=k) for k in range(9)]
    assert not any(cal.is_working_day(day) for day in closed)
    assert cal.is_working_day(dt.date(2025, 1, 24))
    assert cal.is_working_day(dt.date(2025, 2, 3))


def test_tet_2026_closes_14_feb_to_22_feb(cal: BusinessCalendar) -> None:
    closed = [dt.date(2026, 2, 14) + dt.timedelta(days=k) for k in range(9)]
    assert not any(cal.is_working_day(day) for day in closed)
    assert cal.is_working_day(dt.date(2026, 2, 13))
    assert cal.add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 23, 10)


def test_swapped_saturday_2025_is_a_working_day(cal: BusinessCalendar) -> None:
    assert cal.is_working_day(dt.date(2025, 4, 26))
    assert not cal.is_working_day(dt.date(2025, 5, 2))
    assert cal.clock_start(at(2025, 4, 26, 9)) == at(2025, 4, 26, 9)
    assert cal.add_working_days(at(2025, 4, 25, 9), 1) == at(2025, 4, 26, 9)


def test_package_alone_knows_the_2025_swap(tmp_path: Path) -> None:
    bare = load_calendar(tmp_path, first_year=2025, last_year=2026)
    assert bare.is_working_day(dt.date(2025, 4, 26))
    assert not bare.is_working_day(dt.date(2025, 5, 2))


def test_new_year_2026_swap_comes_from_the_override_file(
    cal: BusinessCalendar, tmp_path: Path
) -> None:
    bare = load_calendar(tmp_path, first_year=2026, last_year=2026)
    assert bare.is_working_day(dt.date(2026, 1, 2))
    assert not bare.is_working_day(dt.date(2026, 1, 10))
    assert not cal.is_working_day(dt.date(2026, 1, 2))
    assert cal.is_working_day(dt.date(2026, 1, 10))


def test_vietnam_culture_day_from_2026(cal: BusinessCalendar) -> None:
    assert not cal.is_working_day(dt.date(2026, 11, 24))
    assert cal.is_working_day(dt.date(2025, 11, 24))


@pytest.mark.parametrize(
    ("received", "starts"),
    [
        (at(2025, 3, 4, 6, 30), at(2025, 3, 4, 7)),
        (at(2025, 3, 4, 12), at(2025, 3, 4, 13, 30)),
        (at(2025, 3, 4, 15), at(2025, 3, 4, 15)),
        (at(2025, 3, 4, 15, 1), at(2025, 3, 5, 7)),
        (at(2025, 3, 4, 18), at(2025, 3, 5, 7)),
        (at(2025, 3, 7, 16), at(2025, 3, 10, 7)),
        (at(2025, 3, 8, 10), at(2025, 3, 10, 7)),
        (at(2025, 1, 24, 15, 30), at(2025, 2, 3, 7)),
    ],
)
def test_clock_start(cal: BusinessCalendar, received: dt.datetime, starts: dt.datetime) -> None:
    assert cal.clock_start(received) == starts


def test_late_cutoff_can_be_disabled(tmp_path: Path) -> None:
    hours = OfficeHours(late_reception_cutoff=None)
    lenient = load_calendar(tmp_path, office_hours=hours, first_year=2025, last_year=2025)
    assert lenient.clock_start(at(2025, 3, 4, 16)) == at(2025, 3, 4, 16)
    assert lenient.clock_start(at(2025, 3, 4, 17)) == at(2025, 3, 5, 7)


def test_next_opening(cal: BusinessCalendar) -> None:
    assert cal.next_opening(at(2025, 3, 4, 16)) == at(2025, 3, 4, 16)
    assert cal.next_opening(at(2025, 3, 4, 11, 30)) == at(2025, 3, 4, 13, 30)
    assert cal.next_opening(at(2025, 3, 7, 17)) == at(2025, 3, 10, 7)


def test_inputs_with_any_offset_give_local_outputs(cal: BusinessCalendar) -> None:
    received_utc = dt.datetime(2025, 1, 24, 3, tzinfo=dt.UTC)
    due = cal.due_at(received_utc, 3, "working_days")
    assert due == at(2025, 2, 5, 10)
    assert due.tzinfo == VN
    assert due.isoformat() == "2025-02-05T10:00:00+07:00"


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2025, 3, 3, 9), 0, at(2025, 3, 3, 17)),
        (at(2025, 3, 3, 9), 3, at(2025, 3, 6, 17)),
        (at(2025, 3, 3, 9), 5, at(2025, 3, 10, 17)),
        (at(2025, 1, 20, 9), 7, at(2025, 2, 3, 17)),
        (at(2025, 3, 8, 9), 0, at(2025, 3, 10, 17)),
    ],
)
def test_calendar_days(
    cal: BusinessCalendar, start: dt.datetime, days: int, due: dt.datetime
) -> None:
    assert cal.due_at(start, days, "calendar_days") == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2025, 3, 4, 7), 4.5, at(2025, 3, 4, 11, 30)),
        (at(2025, 3, 4, 10), 1.5, at(2025, 3, 4, 11, 30)),
        (at(2025, 3, 4, 7), 8, at(2025, 3, 4, 17)),
        (at(2025, 3, 7, 13, 30), 3.5, at(2025, 3, 7, 17)),
        (at(2025, 3, 4, 11, 30), 0.5, at(2025, 3, 4, 14)),
    ],
)
def test_end_on_a_session_close_stays_there(
    cal: BusinessCalendar, start: dt.datetime, hours: float, due: dt.datetime
) -> None:
    assert cal.add_working_seconds(start, int(hours * HOUR)) == due


def test_working_days_from_an_opening_end_at_the_close(cal: BusinessCalendar) -> None:
    assert cal.add_working_days(at(2025, 3, 3, 7), 1) == at(2025, 3, 3, 17)
    assert cal.add_working_days(at(2025, 3, 3, 7), 5) == at(2025, 3, 7, 17)


def test_working_hours_unit(cal: BusinessCalendar) -> None:
    assert cal.due_at(at(2025, 1, 24, 15), 4, "working_hours") == at(2025, 2, 3, 9)
    assert cal.add_working_hours(at(2025, 1, 24, 15), 4) == at(2025, 2, 3, 9)


def test_between_is_signed(cal: BusinessCalendar) -> None:
    a, b = at(2025, 1, 24, 10), at(2025, 2, 5, 10)
    assert cal.working_seconds_between(b, a) == -cal.working_seconds_between(a, b)
    assert cal.working_seconds_between(at(2025, 3, 8, 9), at(2025, 3, 9, 9)) == 0


def test_apology_window_opens_one_working_day_before_due(cal: BusinessCalendar) -> None:
    assert cal.subtract_working_days(at(2025, 2, 5, 10), 1) == at(2025, 2, 4, 10)
    assert cal.subtract_working_days(at(2025, 2, 3, 10), 1) == at(2025, 1, 24, 10)
    assert cal.subtract_working_seconds(at(2025, 3, 4, 14), HOUR) == at(2025, 3, 4, 11)


def test_is_office_hours(cal: BusinessCalendar) -> None:
    assert cal.is_office_hours(at(2025, 3, 4, 7))
    assert not cal.is_office_hours(at(2025, 3, 4, 11, 30))
    assert not cal.is_office_hours(at(2025, 3, 8, 9))


def test_bad_inputs_are_refused(cal: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        cal.add_working_days(dt.datetime(2025, 3, 4, 9), 1)
    with pytest.raises(ValueError, match="unknown time limit unit"):
        cal.due_at(at(2025, 3, 4, 9), 1, "fortnights")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        cal.due_at(at(2025, 3, 4, 9), -1, "working_days")


def test_outside_the_range_raises(cal: BusinessCalendar) -> None:
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(at(2017, 12, 31, 9), 1)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(at(2035, 12, 20, 9), 30)
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(dt.date(2036, 1, 2))


def test_office_hours_derive_the_working_day() -> None:
    assert OfficeHours().working_day_seconds == 8 * HOUR
    custom = OfficeHours(sessions=((dt.time(7, 30), dt.time(11, 30)), (dt.time(13), dt.time(16))))
    assert custom.working_day_seconds == 7 * HOUR


def test_custom_hours_change_the_arithmetic(tmp_path: Path) -> None:
    hours = OfficeHours(sessions=((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17))))
    custom = load_calendar(tmp_path, office_hours=hours, first_year=2025, last_year=2025)
    assert custom.add_working_days(at(2025, 3, 4, 10), 1) == at(2025, 3, 5, 10)
    assert custom.add_working_hours(at(2025, 3, 4, 10), 2) == at(2025, 3, 4, 12)
    assert custom.clock_start(at(2025, 3, 4, 7)) == at(2025, 3, 4, 8)


@pytest.mark.parametrize(
    "sessions",
    [
        (),
        ((dt.time(11), dt.time(9)),),
        ((dt.time(7), dt.time(12)), (dt.time(11), dt.time(17))),
        ((dt.time(13), dt.time(17)), (dt.time(7), dt.time(11))),
        ((dt.time(7, tzinfo=dt.UTC), dt.time(11)),),
    ],
)
def test_bad_office_hours_are_refused(sessions: tuple[tuple[dt.time, dt.time], ...]) -> None:
    with pytest.raises(ValueError):
        OfficeHours(sessions=sessions)

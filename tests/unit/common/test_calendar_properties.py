"""Property tests: the prefix-array fast path against a naive session-by-session walk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dunghan_common.calendar import BusinessCalendar, load_calendar
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

OVERRIDES = Path(__file__).resolve().parents[3] / "config" / "calendar"
CAL = load_calendar(OVERRIDES, first_year=2022, last_year=2030)
TZ = CAL.tz
DAY_SECONDS = CAL.office_hours.working_day_seconds
LOW = int(dt.datetime(2024, 1, 1, tzinfo=TZ).timestamp())
# Up to 600 working days (two sums of 300) after an instant must stay inside the calendar (2030).
HIGH = int(dt.datetime(2027, 12, 31, tzinfo=TZ).timestamp())
EDGES = [
    h * 3600 + m * 60 + s
    for h, m in ((7, 0), (11, 30), (13, 30), (15, 0), (17, 0))
    for s in (-1, 0, 1)
]


@st.composite
def instants(draw: st.DrawFn) -> int:
    """Epoch seconds in 2024–2027, often on or next to a session edge or the cutoff."""
    if draw(st.booleans()):
        return draw(st.integers(LOW, HIGH))
    day = draw(st.integers(0, (HIGH - LOW) // 86400))
    return LOW + day * 86400 + draw(st.sampled_from(EDGES))


working_seconds = st.one_of(
    st.integers(0, 300 * DAY_SECONDS),
    st.integers(0, 600).map(lambda k: k * 1800),
)


def local(t: int) -> dt.datetime:
    """Epoch seconds as a local datetime."""
    return dt.datetime.fromtimestamp(t, TZ)


def sessions_of(cal: BusinessCalendar, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The office sessions of one local day, empty when it is not a working day."""
    if not cal.is_working_day(day):
        return []
    return [
        (dt.datetime.combine(day, o, TZ), dt.datetime.combine(day, c, TZ))
        for o, c in cal.office_hours.sessions
    ]


def ref_add(cal: BusinessCalendar, start: dt.datetime, seconds: int) -> dt.datetime:
    """Walk session by session from ``start`` until ``seconds`` working seconds are used."""
    if seconds == 0:
        return start
    remaining, day = seconds, start.date()
    while True:
        for opening, closing in sessions_of(cal, day):
            begin = max(opening, start)
            available = int((closing - begin).total_seconds())
            if available <= 0:
                continue
            if remaining <= available:
                return begin + dt.timedelta(seconds=remaining)
            remaining -= available
        day += dt.timedelta(days=1)


def ref_between(cal: BusinessCalendar, a: dt.datetime, b: dt.datetime) -> int:
    """Sum the overlap of [a, b] with every session on the way (a <= b)."""
    total, day = 0, a.date()
    while day <= b.date():
        for opening, closing in sessions_of(cal, day):
            overlap = (min(closing, b) - max(opening, a)).total_seconds()
            total += max(0, int(overlap))
        day += dt.timedelta(days=1)
    return total


def ref_clock_start(cal: BusinessCalendar, received: dt.datetime) -> dt.datetime:
    """docs/domain.md §4 read literally: open and not late starts at once, else the next opening."""
    cutoff = cal.office_hours.late_reception_cutoff
    late = cutoff is not None and received.time() > cutoff
    day = received.date() + dt.timedelta(days=1) if late else received.date()
    while True:
        for opening, closing in sessions_of(cal, day):
            if received < closing:
                return max(opening, received)
        day += dt.timedelta(days=1)


@given(instants(), working_seconds)
def test_add_matches_the_reference(t: int, seconds: int) -> None:
    expected = ref_add(CAL, local(t), seconds)
    assert CAL.add_working_seconds_epoch(t, seconds) == int(expected.timestamp())
    assert CAL.add_working_seconds(local(t), seconds) == expected


@given(instants(), st.integers(0, 90 * 86400))
def test_between_matches_the_reference(a: int, span: int) -> None:
    b = a + span
    expected = ref_between(CAL, local(a), local(b))
    assert CAL.working_seconds_between_epoch(a, b) == expected
    assert CAL.working_seconds_between_epoch(b, a) == -expected


@given(instants())
def test_clock_start_matches_the_reference(t: int) -> None:
    expected = ref_clock_start(CAL, local(t))
    assert CAL.clock_start(local(t)) == expected
    assert CAL.clock_start(CAL.clock_start(local(t))) == expected


@given(instants(), working_seconds)
def test_add_then_between_round_trips(t: int, seconds: int) -> None:
    end = CAL.add_working_seconds_epoch(t, seconds)
    assert end >= t
    assert CAL.working_seconds_between_epoch(t, end) == seconds


@given(instants(), working_seconds)
def test_subtract_then_between_round_trips(t: int, seconds: int) -> None:
    begin = CAL.subtract_working_seconds_epoch(t, seconds)
    assert begin <= t
    assert CAL.working_seconds_between_epoch(begin, t) == seconds


@given(instants(), st.integers(0, 300), st.integers(0, 300))
def test_monotonic_in_n(t: int, n: int, m: int) -> None:
    low, high = sorted((n, m))
    assert CAL.add_working_days_epoch(t, low) <= CAL.add_working_days_epoch(t, high)


@given(instants(), working_seconds.filter(lambda s: s > 0))
def test_results_lie_inside_office_hours(t: int, seconds: int) -> None:
    end = local(CAL.add_working_seconds_epoch(t, seconds))
    windows = sessions_of(CAL, end.date())
    assert any(opening < end <= closing for opening, closing in windows)


@given(instants(), working_seconds, working_seconds)
def test_add_composes(t: int, a: int, b: int) -> None:
    once = CAL.add_working_seconds_epoch(t, a + b)
    assert CAL.add_working_seconds_epoch(CAL.add_working_seconds_epoch(t, a), b) == once


@given(instants(), st.integers(0, 300), st.integers(-12, 14))
def test_offset_of_the_input_does_not_matter(t: int, n: int, offset: int) -> None:
    elsewhere = dt.datetime.fromtimestamp(t, dt.timezone(dt.timedelta(hours=offset)))
    due = CAL.add_working_days(elsewhere, n)
    assert due == local(CAL.add_working_days_epoch(t, n))
    assert due.utcoffset() == dt.timedelta(hours=7)


@given(instants(), st.integers(0, 400))
def test_calendar_days_end_at_a_working_close(t: int, n: int) -> None:
    due = CAL.add_calendar_days(local(t), n)
    nth = local(t).date() + dt.timedelta(days=n)
    assert due.date() >= nth
    assert due.time() == CAL.office_hours.sessions[-1][1]
    assert CAL.is_working_day(due.date())
    assert all(
        not CAL.is_working_day(nth + dt.timedelta(days=k)) for k in range((due.date() - nth).days)
    )

"""The reviewed override files: their format, their checks, and the known horizon."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dunghan_common.calendar import OverrideFileError, load_calendar, load_overrides

pytestmark = pytest.mark.unit

OVERRIDES = Path(__file__).resolve().parents[3] / "config" / "calendar"


def write(directory: Path, year: int, body: str) -> None:
    """Write one override file."""
    (directory / f"{year}.toml").write_text(body, encoding="utf-8")


def test_repository_files_load_and_state_the_horizon() -> None:
    overrides = load_overrides(OVERRIDES)
    assert {2025, 2026, 2027} <= set(overrides)
    cal = load_calendar(OVERRIDES)
    # No 2027 notice has been read: the calendar is known to the end of 2026, no further.
    assert overrides[2027].reviewed_until is None
    assert cal.known_until == dt.date(2026, 12, 31)
    assert cal.horizon_days(dt.date(2026, 12, 3)) == 28


def test_every_repository_entry_names_its_source() -> None:
    for year in load_overrides(OVERRIDES).values():
        assert all(entry.source for entry in year.all_entries())


def test_lists_apply_in_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        2025,
        """
        reviewed_until = 2025-12-31
        removed_days_off = [{ date = 2025-09-01, name = "test: back to work" }]
        days_off = [{ date = "2025-03-04", name = "test: closed Tuesday" }]
        working_days = [{ date = 2025-03-09, name = "test: open Sunday" }]
        """,
    )
    cal = load_calendar(tmp_path, first_year=2025, last_year=2025)
    assert cal.is_working_day(dt.date(2025, 9, 1))
    assert not cal.is_working_day(dt.date(2025, 9, 2))
    assert not cal.is_working_day(dt.date(2025, 3, 4))
    assert cal.is_working_day(dt.date(2025, 3, 9))
    assert cal.add_working_days(dt.datetime(2025, 3, 3, 10, tzinfo=cal.tz), 1) == dt.datetime(
        2025, 3, 5, 10, tzinfo=cal.tz
    )


def test_files_for_years_outside_the_range_are_harmless(tmp_path: Path) -> None:
    write(tmp_path, 2019, 'days_off = [{ date = 2019-03-05, name = "old" }]')
    write(tmp_path, 2040, 'days_off = [{ date = 2040-03-06, name = "far" }]')
    (tmp_path / "notes.md").write_text("not an override", encoding="utf-8")
    cal = load_calendar(tmp_path, first_year=2025, last_year=2025)
    assert cal.is_working_day(dt.date(2025, 3, 5))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('days_off = [{ date = 2024-03-05, name = "x" }]', "not in 2025"),
        ("reviewed_until = 2026-01-31", "reviewed_until"),
        (
            'days_off = [{ date = 2025-03-05, name = "x" }]\n'
            'working_days = [{ date = 2025-03-05, name = "y" }]',
            "more than once",
        ),
        ('days_off = [{ date = 2025-03-05, name = "" }]', "name"),
        ('days_off = [{ date = 2025-03-05, name = "x", note = "?" }]', "note"),
        ("holidays = []", "holidays"),
        ("year = 2024", "year key"),
        ("days_off = [", "2025.toml"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, 2025, body)
    with pytest.raises(OverrideFileError, match=message):
        load_overrides(tmp_path)


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_calendar(tmp_path / "absent")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, dt.date(2024, 12, 31)),
        ({2025: "2025-12-31", 2026: "2026-06-30", 2027: "2027-12-31"}, dt.date(2026, 6, 30)),
        ({2025: "2025-12-31", 2027: "2027-12-31"}, dt.date(2025, 12, 31)),
        ({2025: None, 2026: "2026-12-31"}, dt.date(2024, 12, 31)),
        ({2025: "2025-12-31", 2026: None}, dt.date(2025, 12, 31)),
        ({2025: "2025-12-31", 2026: "2026-12-31"}, dt.date(2026, 12, 31)),
    ],
)
def test_known_until_is_the_unbroken_reviewed_run(
    tmp_path: Path, files: dict[int, str | None], expected: dt.date
) -> None:
    for year, reviewed in files.items():
        write(tmp_path, year, "" if reviewed is None else f"reviewed_until = {reviewed}")
    cal = load_calendar(tmp_path, first_year=2025, last_year=2030)
    assert cal.known_until == expected


def test_known_until_never_passes_the_range(tmp_path: Path) -> None:
    write(tmp_path, 2025, "reviewed_until = 2025-12-31")
    write(tmp_path, 2026, "reviewed_until = 2026-12-31")
    cal = load_calendar(tmp_path, first_year=2025, last_year=2025)
    assert cal.known_until == dt.date(2025, 12, 31)
    assert cal.horizon_days(dt.date(2025, 12, 1)) == 30

"""The committed unit directory covers every unit and official the sample province uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dunghan_common.calendar import load_calendar
from dunghan_common.units import load_units
from dunghan_common.units.importer import read_csv
from dunghan_province.directory import write_csv
from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.people import OFFICIALS_PER_UNIT, official
from dunghan_province.units import UNITS

COMMITTED = Path("config/units.toml")
AS_OF = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_every_sample_unit_is_in_the_directory_and_complete() -> None:
    units = load_units(COMMITTED)
    for unit in UNITS:
        entry = units.signing_unit(unit.code)
        assert entry is not None, unit.code
        assert units.by_portal_name(unit.name) is entry, unit.name
    assert len(units) == len(UNITS) == 94
    assert sum(u.kind in ("ward", "commune", "special_zone") for u in units.units) == 78


def test_every_official_the_sample_assigns_is_in_the_directory_with_their_unit() -> None:
    units = load_units(COMMITTED)
    for index, unit in enumerate(UNITS):
        for number in range(1, OFFICIALS_PER_UNIT + 1):
            person = official(index, number)
            found = units.official(person["id"])
            assert found is not None, person["id"]
            assert (found.name, found.email) == (person["name"], person["email"])
            assert units.unit_of_official(person["id"]) == units.unit(unit.code)


def test_the_committed_file_is_the_sample_imported(tmp_path: Path) -> None:
    units_csv, officials_csv = write_csv(tmp_path)
    assert read_csv(units_csv, officials_csv).units == load_units(COMMITTED).units


def test_every_unit_and_assignee_of_a_generated_month_is_in_the_directory() -> None:
    """What a generated month's events name, read off the events themselves."""
    units = load_units(COMMITTED)
    month = SampleMonth(
        MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=2000, seed=8),
        load_calendar(Path("config/calendar")),
    )
    codes, assignees = set(), set()
    for event in month.events():
        data = event.get("data") or {}
        codes |= {data[k] for k in ("unit_code", "receiving_unit_code") if data.get(k)}
        if isinstance(data.get("assignee"), dict):
            assignees.add(data["assignee"]["id"])
    assert codes
    assert assignees
    assert {c for c in codes if units.signing_unit(c) is None} == set()
    assert {a for a in assignees if units.official(a) is None} == set()

"""Reviewed per-year override files (`config/calendar/<year>.toml`) on top of the holidays data."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_FILE_NAME = re.compile(r"^(\d{4})\.toml$")


class DayEntry(BaseModel):
    """One dated entry of an override file, with its name and the notice it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    name: str = Field(min_length=1)
    source: str | None = None


class YearOverrides(BaseModel):
    """The reviewed corrections for one year and how far that year is known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int
    reviewed_until: dt.date | None = None
    days_off: tuple[DayEntry, ...] = ()
    working_days: tuple[DayEntry, ...] = ()
    removed_days_off: tuple[DayEntry, ...] = ()

    def all_entries(self) -> tuple[DayEntry, ...]:
        """Every dated entry of the file, whatever its list."""
        return self.days_off + self.working_days + self.removed_days_off


class OverrideFileError(ValueError):
    """An override file is malformed or contradicts itself."""


def load_overrides(directory: Path) -> dict[int, YearOverrides]:
    """Read and check every ``<year>.toml`` in ``directory`` (other files are ignored)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"calendar override directory not found: {directory}")
    overrides: dict[int, YearOverrides] = {}
    for path in sorted(directory.iterdir()):
        match = _FILE_NAME.match(path.name)
        if match is not None:
            year = int(match.group(1))
            overrides[year] = load_override_file(path, year)
    return overrides


def load_override_file(path: Path, year: int) -> YearOverrides:
    """Read one override file and check it against its year."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        if data.get("year", year) != year:
            raise OverrideFileError(f"{path}: the year key disagrees with the file name")
        parsed = YearOverrides.model_validate({**data, "year": year})
    except (tomllib.TOMLDecodeError, ValidationError) as error:
        raise OverrideFileError(f"{path}: {error}") from error
    check_year(parsed, path)
    return parsed


def check_year(overrides: YearOverrides, origin: Path | str) -> None:
    """Refuse dates outside the file's year and a date listed twice."""
    year = overrides.year
    if overrides.reviewed_until is not None and overrides.reviewed_until.year != year:
        raise OverrideFileError(f"{origin}: reviewed_until must fall in {year}")
    seen: set[dt.date] = set()
    for entry in overrides.all_entries():
        if entry.date.year != year:
            raise OverrideFileError(f"{origin}: {entry.date} is not in {year}")
        if entry.date in seen:
            raise OverrideFileError(f"{origin}: {entry.date} is listed more than once")
        seen.add(entry.date)


def known_until(overrides: Mapping[int, YearOverrides], fallback: dt.date) -> dt.date:
    """The last reviewed date of the unbroken run of reviewed years, or ``fallback`` if none.

    A year extends the run only if every earlier reviewed year was reviewed to 31 December
    and no year is missing in between.
    """
    known: dt.date | None = None
    for year in sorted(overrides):
        reviewed = overrides[year].reviewed_until
        if reviewed is None or (known is not None and known != dt.date(year - 1, 12, 31)):
            break
        known = reviewed
    return fallback if known is None else known

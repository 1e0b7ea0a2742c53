"""Writing a generated month to disk: NDJSON events, and the realised shares beside them."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import orjson
from dunghan_common.calendar import BusinessCalendar, load_calendar

from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.timefmt import VN


def previous_month(now: dt.datetime) -> tuple[int, int]:
    """The calendar month before `now`'s (in Vietnam's time): its deadlines have mostly passed."""
    first = now.astimezone(VN).date().replace(day=1)
    last = first - dt.timedelta(days=1)
    return last.year, last.month


def parse_month(text: str) -> tuple[int, int]:
    """`YYYY-MM` → (year, month)."""
    year, month = text.split("-")
    if not 1 <= int(month) <= 12:
        raise ValueError(f"not a month: {text}")
    return int(year), int(month)


def calendar(directory: Path) -> BusinessCalendar:
    """The business calendar from the reviewed override files (about half a second)."""
    return load_calendar(directory)


def stats_path(path: Path) -> Path:
    """Where the realised shares of a sample file are written."""
    return path.with_name(path.name + ".stats.json")


def stragglers_path(path: Path) -> Path:
    """Where the month's stragglers (events its source sends days late) are written."""
    return path.with_name(path.name.removesuffix(".ndjson") + ".late.ndjson")


def portal_index_path(path: Path) -> Path:
    """Where the portal's index answer for a sample's month is written."""
    return path.with_name(path.name + ".dvcqg-index.json")


def write_sample(spec: MonthSpec, cal: BusinessCalendar, path: Path) -> Counter[str]:
    """Generate the month into `path` (NDJSON, one event per line) and its stragglers beside it
    (`stragglers_path`) and the portal's index answer for the month (`portal_index_path`); return
    the tallies."""
    month = SampleMonth(spec, cal)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for event in month.events():
            out.write(orjson.dumps(event) + b"\n")
    stragglers_path(path).write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in month.stragglers))
    tallies = {"period": spec.period, "seed": spec.seed, "volume": spec.volume, **month.stats}
    stats_path(path).write_text(json.dumps(tallies, indent=1) + "\n", encoding="utf-8")
    answer = json.dumps(month.portal.answer(), indent=1, ensure_ascii=False)
    portal_index_path(path).write_text(answer + "\n", encoding="utf-8")
    return month.stats


def read_stats(path: Path) -> dict[str, object]:
    """The tallies written beside a sample."""
    return dict(json.loads(stats_path(path).read_text(encoding="utf-8")))

"""Epoch seconds to RFC 3339 in Vietnam's time (UTC+7, no daylight saving since 1975), and the
day-first local forms a Vietnamese report prints."""

from __future__ import annotations

import datetime as dt
from typing import Final

VN: Final = dt.timezone(dt.timedelta(hours=7))


def iso(epoch: int) -> str:
    """RFC 3339 with the +07:00 offset, e.g. `2026-10-05T07:00:00+07:00`."""
    return dt.datetime.fromtimestamp(epoch, VN).isoformat()


def epoch(t: dt.datetime) -> int:
    """Whole epoch seconds of an aware datetime."""
    return int(t.timestamp())


def local(moment: str | dt.datetime | None) -> dt.datetime | None:
    """An RFC 3339 text or aware datetime in Vietnam's time, naive (as a spreadsheet cell is).

    A naive datetime is taken as already in Vietnam's time (this function's own output).
    """
    if moment is None or moment == "":
        return None
    t = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return t if t.tzinfo is None else t.astimezone(VN).replace(tzinfo=None)


def local_text(moment: str | dt.datetime | None) -> str:
    """`HH:MM dd/mm/yyyy` in Vietnam's time, as an office writes it; empty when there is none."""
    t = local(moment)
    return "" if t is None else t.strftime("%H:%M %d/%m/%Y")


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a `YYYY-MM` month."""
    year, month = int(period[:4]), int(period[5:7])
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_periods(period: str, count: int) -> list[str]:
    """The `count` months ending with `period`, oldest first."""
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def period_label(period: str) -> str:
    """`tháng 10/2026`."""
    return f"tháng {int(period[5:7])}/{period[:4]}"

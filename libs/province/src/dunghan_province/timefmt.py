"""Epoch seconds to RFC 3339 in Vietnam's time (UTC+7, no daylight saving since 1975)."""

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

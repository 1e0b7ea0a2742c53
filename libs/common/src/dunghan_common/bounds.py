"""Bounds on what a request may carry, checked at the door so a driver never fails on it (a 500).

PostgreSQL text cannot hold U+0000, and asyncpg converts every aware time to UTC before sending
it: a time near year 1 or 9999 with an offset overflows there. A month period needs its first
and next month's first instants in Asia/Ho_Chi_Minh, so its year stays within these bounds too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator

#: Years a period or a cursor's time may name; far wider than any dossier, narrow enough that
#: a month's bounds in any offset stay representable.
MIN_YEAR, MAX_YEAR = 1900, 9998
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
PERIOD_RULE = f"a month YYYY-MM from {MIN_YEAR}-01 to {MAX_YEAR}-12"


def has_nul(text: str) -> bool:
    """Whether a text holds U+0000, which PostgreSQL text cannot store."""
    return "\x00" in text


def storable_time(moment: dt.datetime) -> bool:
    """Whether an aware time lies within the years and converts to UTC without overflow."""
    if moment.tzinfo is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        return False
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        return False
    return True


def month_period(text: str) -> tuple[int, int] | None:
    """The (year, month) of a ``YYYY-MM`` period within the years, or None."""
    match = _PERIOD.fullmatch(text)
    if match is None or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        return None
    return int(match.group(1)), int(match.group(2))


def _no_nul(text: str) -> str:
    if has_nul(text):
        raise ValueError("must not contain U+0000 (NUL)")
    return text


#: A text field of a request body that will be stored: refused (422 naming it) if it holds NUL.
StorableText = Annotated[str, AfterValidator(_no_nul)]

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "PERIOD_RULE",
    "StorableText",
    "has_nul",
    "month_period",
    "storable_time",
]

"""Bounds on request values: NUL, times overflowing UTC, month periods."""

from __future__ import annotations

import datetime as dt

import pytest
from dunghan_common.bounds import StorableText, has_nul, month_period, storable_time
from pydantic import TypeAdapter, ValidationError

PLUS7 = dt.timezone(dt.timedelta(hours=7))
MINUS7 = dt.timezone(dt.timedelta(hours=-7))


@pytest.mark.parametrize(
    ("moment", "storable"),
    [
        (dt.datetime(2025, 8, 1, 9, tzinfo=PLUS7), True),
        (dt.datetime(1, 1, 1, tzinfo=PLUS7), False),  # overflows UTC
        (dt.datetime(9999, 12, 31, 23, 59, tzinfo=MINUS7), False),  # overflows UTC
        (dt.datetime(1900, 1, 1, tzinfo=dt.UTC), True),
        (dt.datetime(2025, 8, 1, 9), False),  # naive
    ],
)
def test_only_aware_times_within_the_years_are_storable(moment, storable) -> None:
    assert storable_time(moment) is storable


@pytest.mark.parametrize(
    ("period", "month"),
    [
        ("2025-08", (2025, 8)),
        ("1900-01", (1900, 1)),
        ("9998-12", (9998, 12)),
        ("0000-01", None),
        ("0001-01", None),
        ("9999-12", None),
        ("2025-13", None),
        ("2025-8", None),
        ("2025-08\n", None),
    ],
)
def test_a_period_is_a_month_within_the_years(period, month) -> None:
    assert month_period(period) == month


def test_storable_text_refuses_nul() -> None:
    text = TypeAdapter(StorableText)
    assert text.validate_python("đã xem") == "đã xem"
    assert has_nul("a\x00b")
    with pytest.raises(ValidationError, match="NUL"):
        text.validate_python("a\x00b")

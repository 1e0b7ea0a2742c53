"""Builders of slim dossier events for the SLA unit tests."""

from __future__ import annotations

import datetime as dt
import itertools
from functools import cache
from pathlib import Path
from typing import Any

from dunghan_common.calendar import BusinessCalendar, load_calendar
from sla.domain.model import DossierEvent
from sla.domain.rules import RuleBook, RuleSet

ROOT = Path(__file__).resolve().parents[3]
TZ = dt.timezone(dt.timedelta(hours=7))
DOSSIER = "000.00.12.H50-250801-0001"
_ids = itertools.count(1)


@cache
def calendar() -> BusinessCalendar:
    """The real calendar with the reviewed override files (built once)."""
    return load_calendar(ROOT / "config" / "calendar")


def rules(**overrides: Any) -> RuleBook:
    """One rule set in force since 2000, with overrides."""
    return RuleBook.of([RuleSet(name="test", valid_from=dt.date(2000, 1, 1), **overrides)])


def at(text: str) -> dt.datetime:
    """A local (UTC+7) time from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def event(type_: str, time: str, source: str = "igate", **data: Any) -> DossierEvent:
    """A slim event of type ``dossier.<kind>`` (or a full type name) at a local time."""
    event_type = type_ if "." in type_ else f"dossier.{type_}"
    return DossierEvent(
        source=source,
        event_id=f"e{next(_ids)}",
        dossier_id=DOSSIER,
        type=event_type,
        time=at(time),
        data=data,
    )


def received(time: str, value: int = 3, unit: str = "working_days", **extra: Any) -> DossierEvent:
    """A reception with a time limit."""
    data = {
        "unit_code": "000.00.12.H50",
        "procedure_code": "1.004227",
        "procedure_name": "Cấp giấy phép xây dựng",
        "time_limit_value": value,
        "time_limit_unit": unit,
        "channel": "online",
        "fee_required": True,
        "e_result_required": True,
    }
    data.update(extra)
    return event("received", time, **data)

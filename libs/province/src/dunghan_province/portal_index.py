"""The portal's index answer for the sample month (docs/domain.md §7), with its sync faults.

What the national portal scores is what reached it: a dossier never synced is not counted at
all; one whose finishing status was lost looks open, then overdue; one whose finish arrived after
the due date is late. Dossiers late in the province are late on the portal too. The answer has the
shape of the portal's ``dvc-progress-tree`` (``{"code", "data": {"parent", "children"}}``), one
child per unit by its ``departmentCode``, figures computed the portal's way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from dunghan_province.directory import department_code
from dunghan_province.fate import Fate
from dunghan_province.units import UNITS_BY_CODE

PROVINCE_CODE: Final = "H50"
PROVINCE_NAME: Final = "Tỉnh Quảng Trị"


def portal_late(fate: Fate, due: int, as_of: int) -> bool:
    """Whether the portal counts the dossier overdue at ``as_of``: late here, or its finish lost
    or synced late (the sync faults of the sample), once the due date has passed."""
    if due > as_of:
        return False
    return fate.late or fate.ending == "stuck" or fate.final_sync in ("lost", "late")


@dataclass(slots=True)
class PortalTally:
    """Per unit, the dossiers the portal counts received in the month, and those on time."""

    received: Counter[str] = field(default_factory=Counter)
    on_time: Counter[str] = field(default_factory=Counter)

    def count(self, unit_code: str, fate: Fate, due: int, as_of: int) -> None:
        """Count one dossier as the portal sees it (never synced: not seen at all)."""
        if fate.ending == "refused" or not fate.synced:
            return
        self.received[unit_code] += 1
        self.on_time[unit_code] += not portal_late(fate, due, as_of)

    def answer(self) -> dict[str, Any]:
        """The portal's answer: the province as ``parent``, its units as ``children``."""
        children = [
            _department(
                department_code(code),
                UNITS_BY_CODE[code].name,
                "COMMUNE" if UNITS_BY_CODE[code].is_local else "PROVINCE",
                self.received[code],
                self.on_time[code],
            )
            for code in sorted(self.received)
        ]
        received, on_time = sum(self.received.values()), sum(self.on_time.values())
        parent = _department(PROVINCE_CODE, PROVINCE_NAME, "PROVINCE", received, on_time)
        parent |= {
            "totalCompleted": on_time,
            "totalScore": parent["score"],
            "totalMaxScore": parent["maxScore"],
        }
        return {"code": "OK", "data": {"parent": parent, "children": children}}


def _department(code: str, name: str, level: str, received: int, on_time: int) -> dict[str, Any]:
    return {
        "departmentCode": code,
        "departmentName": name,
        "level": level,
        "totalReceived": received,
        "totalOnTime": on_time,
        "totalOverdue": received - on_time,
        "ratio": _hundredths(Decimal(on_time) * 100 / received) if received else 0,
        "score": _hundredths(Decimal(on_time) * 20 / received) if received else 0,
        "maxScore": 20,
    }


def _hundredths(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

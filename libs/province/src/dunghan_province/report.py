"""The chairman's monthly report (báo cáo tháng) per unit: its rows, and the terminal table.

Per unit: received, finished, overdue at the end of the month and now, the five rates of
docs/domain.md §7 against the year's targets, and its escalations to DOST by cause. Escalations
are the unit's current backlog (open and acknowledged, whatever month they were opened in) plus
the resolved ones: the report is read after the month to see what is still waiting. The workbook
and the PDF are `workbook.py` and `pdf.py`, both drawn from `document.MonthlyReport`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Final

from dunghan_province.tables import percent, render, title
from dunghan_province.targets import RATES
from dunghan_province.units import unit_name
from dunghan_province.views import Snapshot

REPORT_RATES: Final = RATES
_SHORT: Final = {
    "on_time_rate": "on-time",
    "online_submission_rate": "online sub.",
    "online_payment_rate": "online pay",
    "digitization_rate": "digitised",
    "sync_rate": "synced",
}
PROVINCE: Final = "Toàn tỉnh"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of the report: a unit, or the province."""

    unit_code: str
    name: str
    received: int
    finished: int
    early: int
    on_time: int
    late: int
    overdue_at_end: int
    overdue_now: int
    rates: dict[str, float | None]
    software_escalations: int
    sync_escalations: int
    open_escalations: int


def report_rows(snap: Snapshot) -> list[ReportRow]:
    """The province first, then units by overdue at the month's end, then overdue now, then code."""
    esc = Counter((e["unit_code"], e["cause"]) for e in snap.escalations)
    still = Counter(e["unit_code"] for e in snap.escalations if e["status"] != "resolved")
    units = [_row(u, unit_name(u["unit_code"]), esc, still) for u in snap.units]
    units.sort(key=lambda r: (-r.overdue_at_end, -r.overdue_now, r.unit_code))
    total = replace(
        _row({**snap.province, "unit_code": ""}, PROVINCE, esc, still),
        software_escalations=sum(r.software_escalations for r in units),
        sync_escalations=sum(r.sync_escalations for r in units),
        open_escalations=sum(r.open_escalations for r in units),
    )
    return [total, *units]


def _row(
    kpi: dict[str, Any], name: str, esc: Counter[tuple[str, str]], still: Counter[str]
) -> ReportRow:
    code = kpi["unit_code"]
    count = {k: int(kpi.get(k) or 0) for k in ("received", "finished", "early", "on_time", "late")}
    return ReportRow(
        unit_code=code,
        name=name,
        **count,
        overdue_at_end=int(kpi.get("overdue_at_period_end") or 0),
        overdue_now=int(kpi.get("open_overdue") or 0),
        rates={r: kpi.get(r) for r in REPORT_RATES},
        software_escalations=esc.get((code, "software_error"), 0),
        sync_escalations=esc.get((code, "sync_error"), 0),
        open_escalations=still.get(code, 0),
    )


def below(rate: str, value: float | None, targets: dict[str, float]) -> bool:
    """Whether a rate is under its target (an undefined rate is not)."""
    target = targets.get(rate)
    return value is not None and target is not None and value < target


def render_report(snap: Snapshot, limit: int | None = None) -> str:
    """The report as a terminal table; rates under target are marked with `!`."""
    rows = report_rows(snap)
    shown = rows if limit is None else rows[: limit + 1]
    rates = [_SHORT[r] for r in REPORT_RATES]
    headers = ["unit", "recv", "fin", "overdue@end", "overdue now", *rates, "esc sw", "esc sync"]
    headers.append("esc open")
    body = [
        [
            r.name,
            r.received,
            r.finished,
            r.overdue_at_end,
            r.overdue_now,
            *(_mark(percent(r.rates[k]), below(k, r.rates[k], snap.targets)) for k in REPORT_RATES),
            r.software_escalations,
            r.sync_escalations,
            r.open_escalations,
        ]
        for r in shown
    ]
    goals = ["targets", "", "", "", "", *(percent(snap.targets.get(k)) for k in REPORT_RATES)]
    goals += ["", "", ""]
    more = (
        f"\n… {len(rows) - len(shown)} more units in the workbook and the PDF"
        if len(shown) < len(rows)
        else ""
    )
    head = title(
        f"Monthly report {snap.period} (báo cáo tháng); overdue@end = open and overdue when the "
        "month ended, overdue now = today; `!` = below target"
    )
    right = list(range(1, len(headers)))
    return head + "\n" + render(headers, [goals, *body], right=right) + more


def _mark(text: str, flagged: bool) -> str:
    return f"{text}!" if flagged else text

"""The chairman's monthly report (báo cáo tháng) per unit: a terminal table and an Excel workbook.

Per unit: overdue in processing now, on-time, online submission, online payment and digitisation
rates of the month against the year's targets, and its escalations to DOST by cause. Escalations
are the unit's current backlog (open and acknowledged, whatever month they were opened in) plus
the resolved ones: the report is read at the end of the month to see what is still waiting.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dunghan_province.tables import percent, render, title
from dunghan_province.targets import LABELS
from dunghan_province.units import unit_name
from dunghan_province.views import Snapshot

REPORT_RATES: Final = (
    "on_time_rate",
    "online_submission_rate",
    "online_payment_rate",
    "digitization_rate",
)
_SHORT: Final = {
    "on_time_rate": "on-time",
    "online_submission_rate": "online sub.",
    "online_payment_rate": "online pay",
    "digitization_rate": "digitised",
}
_BELOW: Final = PatternFill("solid", fgColor="F8CBAD")
_HEAD: Final = PatternFill("solid", fgColor="D9E1F2")
PROVINCE: Final = "Toàn tỉnh (province)"


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of the report: a unit, or the province."""

    unit_code: str
    name: str
    received: int
    finished: int
    overdue: int
    rates: dict[str, float | None]
    software_escalations: int
    sync_escalations: int
    open_escalations: int


def report_rows(snap: Snapshot) -> list[ReportRow]:
    """The province first, then units by overdue dossiers (most first), then by code."""
    esc = Counter((e["unit_code"], e["cause"]) for e in snap.escalations)
    still = Counter(e["unit_code"] for e in snap.escalations if e["status"] != "resolved")
    units = [_row(u, unit_name(u["unit_code"]), esc, still) for u in snap.units]
    units.sort(key=lambda r: (-r.overdue, r.unit_code))
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
    return ReportRow(
        unit_code=code,
        name=name,
        received=int(kpi.get("received") or 0),
        finished=int(kpi.get("finished") or 0),
        overdue=int(kpi.get("open_overdue") or 0),
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
    headers = [
        "unit",
        "recv",
        "fin",
        "overdue",
        *(_SHORT[r] for r in REPORT_RATES),
        "esc sw",
        "esc sync",
        "esc open",
    ]
    body = [
        [
            r.name,
            r.received,
            r.finished,
            r.overdue,
            *(_mark(percent(r.rates[k]), below(k, r.rates[k], snap.targets)) for k in REPORT_RATES),
            r.software_escalations,
            r.sync_escalations,
            r.open_escalations,
        ]
        for r in shown
    ]
    goals = [
        "targets",
        "",
        "",
        "",
        *(percent(snap.targets.get(k)) for k in REPORT_RATES),
        "",
        "",
        "",
    ]
    more = (
        f"\n… {len(rows) - len(shown)} more units in the workbook" if len(shown) < len(rows) else ""
    )
    head = title(f"Monthly report {snap.period} (báo cáo tháng); `!` = below target")
    return head + "\n" + render(headers, [goals, *body], right=list(range(1, 11))) + more


def _mark(text: str, flagged: bool) -> str:
    return f"{text}!" if flagged else text


def write_workbook(snap: Snapshot, path: Path) -> Path:
    """The report as an Excel workbook: sheet per unit, targets, and the escalations."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = f"Báo cáo {snap.period}"
    _units_sheet(sheet, snap)
    _targets_sheet(book.create_sheet("Chỉ tiêu"), snap)
    _escalations_sheet(book.create_sheet("Chuyển Sở KH&CN"), snap)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _units_sheet(sheet: Any, snap: Snapshot) -> None:
    headers = ["Mã đơn vị", "Đơn vị", "Tiếp nhận", "Đã giải quyết", "Quá hạn đang xử lý"]
    headers += [LABELS[r] for r in REPORT_RATES]
    headers += [
        "Chuyển KH&CN: lỗi phần mềm",
        "Chuyển KH&CN: lỗi đồng bộ",
        "Chuyển KH&CN: chưa xong",
    ]
    sheet.append(headers)
    for r in report_rows(snap):
        sheet.append(
            [r.unit_code, r.name, r.received, r.finished, r.overdue]
            + [r.rates[k] for k in REPORT_RATES]
            + [r.software_escalations, r.sync_escalations, r.open_escalations]
        )
        for offset, rate in enumerate(REPORT_RATES):
            cell = sheet.cell(row=sheet.max_row, column=6 + offset)
            cell.number_format = "0.0%"
            if below(rate, r.rates[rate], snap.targets):
                cell.fill = _BELOW
    _style_header(sheet, len(headers))
    sheet.cell(row=2, column=2).font = Font(bold=True)


def _targets_sheet(sheet: Any, snap: Snapshot) -> None:
    sheet.append(["Chỉ tiêu", "Mục tiêu"])
    for rate, target in snap.targets.items():
        sheet.append([LABELS[rate], target])
        sheet.cell(row=sheet.max_row, column=2).number_format = "0%"
    _style_header(sheet, 2)


def _escalations_sheet(sheet: Any, snap: Snapshot) -> None:
    columns = ["id", "dossier_id", "unit_code", "cause", "status", "opened_at", "resolved_at"]
    sheet.append(columns)
    for e in sorted(snap.escalations, key=lambda e: (e["unit_code"], e["opened_at"], e["id"])):
        sheet.append([e.get(c) for c in columns])
    _style_header(sheet, len(columns))


def _style_header(sheet: Any, columns: int) -> None:
    """Bold, shaded, wrapped header row; frozen; readable column widths."""
    for col in range(1, columns + 1):
        cell = sheet.cell(row=1, column=col)
        cell.font, cell.fill = Font(bold=True), _HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = max(len(str(c.value or "")) for c in sheet[get_column_letter(col)])
        sheet.column_dimensions[get_column_letter(col)].width = min(max(10, width + 2), 45)
    sheet.freeze_panes = "A2"

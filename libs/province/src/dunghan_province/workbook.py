"""The monthly report as an Excel workbook a provincial office can print and send.

Sheets: the cover (title, period, as-of time in Vietnam time, issuing office, headline figures),
the units (every KPI of docs/domain.md §7 beside its target, red when under it by conditional
formatting, overdue at the month's end and now), the charts, the correction list for VPCP, the
escalations to DOST, the targets, and the index points at stake once sync-audit serves them. Every
sheet prints A4 landscape one page wide, with its header rows repeated on each page and frozen.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dunghan_province.document import ON_TIME_NOTE, RATE_LABELS, TITLE, MonthlyReport
from dunghan_province.report import REPORT_RATES, ReportRow
from dunghan_province.workbook_sheets import (
    corrections_sheet,
    escalations_sheet,
    stake_sheet,
    targets_sheet,
)
from dunghan_province.xlsx_style import (
    BELOW,
    HEAD,
    PERCENT,
    cover_line,
    header_block,
    print_setup,
)

UNITS_SHEET: Final = "Theo đơn vị"
CHARTS_SHEET: Final = "Biểu đồ"
_FIRST_RATE_COLUMN: Final = 10  # J: each rate is followed by its target
_RED_FONT: Final = Font(color="9C0006")
_ROW_CM: Final = 0.53  # a default row (15 pt) in centimetres, to place one chart below another


def write_workbook(report: MonthlyReport, path: Path) -> Path:
    """Write the workbook to `path` (its folder is created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(report))
    return path


def workbook_bytes(report: MonthlyReport) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    book = Workbook()
    cover = book.active
    assert cover is not None  # a new workbook always has one sheet
    _cover(cover, report)
    _units(book.create_sheet(UNITS_SHEET), report)
    _charts(book.create_sheet(CHARTS_SHEET), report)
    corrections_sheet(book.create_sheet("Hiệu chỉnh VPCP"), report)
    escalations_sheet(book.create_sheet("Chuyển Sở KH&CN"), report)
    targets_sheet(book.create_sheet("Chỉ tiêu"), report)
    if report.stake is not None:
        stake_sheet(book.create_sheet("Điểm chỉ số"), report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cover(sheet: Worksheet, report: MonthlyReport) -> None:
    sheet.title = "Bìa"
    p = report.province
    lines: list[tuple[str, Any]] = [
        ("", report.office.upper()),
        ("", ""),
        ("", f"{TITLE} {report.label.upper()}"),
        ("", "Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Quảng Trị"),
        ("", ""),
        ("Kỳ báo cáo", f"{report.label.capitalize()} ({report.span})"),
        ("Số liệu tính đến", report.as_of_text),
        ("Đơn vị báo cáo", report.office),
        (
            "Nguồn số liệu",
            "Hệ thống Đúng Hạn: sla (chỉ tiêu), sync-audit (hiệu chỉnh, chuyển Sở KH&CN)",
        ),
        ("", ""),
        ("Hồ sơ tiếp nhận trong tháng", p.received),
        ("Hồ sơ đã giải quyết trong tháng", p.finished),
        (f"Quá hạn chưa giải quyết cuối kỳ (đến hết {report.end_label})", p.overdue_at_end),
        (f"Quá hạn chưa giải quyết hiện tại (lúc {report.as_of_text})", p.overdue_now),
    ]
    lines += [(RATE_LABELS[k], p.rates[k]) for k in REPORT_RATES]
    lines += [("", ""), ("Ghi chú", ON_TIME_NOTE), ("", _stake_note(report))]
    for label, value in lines:
        cover_line(sheet, label, value, percent=isinstance(value, float))
    for row in (1, 3, 4):  # centred over both columns
        sheet.cell(row=row, column=1).value = sheet.cell(row=row, column=2).value
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    sheet["A1"].font = Font(bold=True, size=12)
    sheet["A3"].font = Font(bold=True, size=14)
    sheet["A4"].font = Font(italic=True)
    sheet.column_dimensions["A"].width = 58
    sheet.column_dimensions["B"].width = 80
    print_setup(sheet, title_rows=None, freeze=None)


def _stake_note(report: MonthlyReport) -> str:
    if report.stake is None:
        return (
            "Điểm chỉ số bị ảnh hưởng do lỗi đồng bộ, lỗi phần mềm: chưa có số liệu (sync-audit "
            "chưa trả lời /v1/index-gap); trang này sẽ có khi có số liệu."
        )
    total = sum(s.points_at_stake for s in report.stake)
    return (
        f"Điểm chỉ số bị ảnh hưởng do lỗi đồng bộ, lỗi phần mềm: {total:.2f} điểm "
        "(xem trang Điểm chỉ số)."
    )


def unit_headers(report: MonthlyReport) -> tuple[list[tuple[str, int]], list[str]]:
    """The two header rows of the units sheet: groups with their span, then columns."""
    groups: list[tuple[str, int]] = [("Mã đơn vị", 1), ("Đơn vị", 1), ("Hồ sơ trong tháng", 5)]
    groups.append(("Quá hạn chưa giải quyết", 2))
    columns = ["Mã đơn vị", "Đơn vị", "Tiếp nhận", "Đã giải quyết", "Trước hạn", "Đúng hạn"]
    columns += ["Trễ hạn", f"Cuối kỳ (đến hết {report.end_label})", "Hiện tại"]
    for rate in REPORT_RATES:
        groups.append((RATE_LABELS[rate], 2))
        columns += ["Thực hiện", "Chỉ tiêu"]
    groups.append(("Chuyển Sở KH&CN", 3))
    columns += ["Lỗi phần mềm", "Lỗi đồng bộ", "Còn chờ xử lý"]
    return groups, columns


def _unit_values(r: ReportRow, report: MonthlyReport) -> list[Any]:
    values: list[Any] = [r.unit_code, r.name, r.received, r.finished, r.early, r.on_time, r.late]
    values += [r.overdue_at_end, r.overdue_now]
    for rate in REPORT_RATES:
        values += [r.rates[rate], report.targets.get(rate)]
    return [*values, r.software_escalations, r.sync_escalations, r.open_escalations]


def _units(sheet: Worksheet, report: MonthlyReport) -> None:
    groups, columns = unit_headers(report)
    heading = (
        f"Kết quả giải quyết TTHC theo đơn vị, {report.label}; số liệu tính đến {report.as_of_text}"
    )
    header_block(sheet, heading, groups, columns)
    for r in report.rows:
        sheet.append(_unit_values(r, report))
        for offset in range(2 * len(REPORT_RATES)):
            sheet.cell(
                row=sheet.max_row, column=_FIRST_RATE_COLUMN + offset
            ).number_format = PERCENT
    last = sheet.max_row
    for col in range(1, len(columns) + 1):
        sheet.cell(row=4, column=col).font = Font(bold=True)  # the province
    _below_target_rules(sheet, last)
    sheet.append([])
    sheet.append(["", ON_TIME_NOTE])
    sheet.append(
        [
            "",
            "Ô tô đỏ: thấp hơn chỉ tiêu năm. Quá hạn cuối kỳ: hồ sơ tiếp nhận trước, chưa "
            "giải quyết và đã quá hạn vào cuối kỳ; quá hạn hiện tại: tại thời điểm lấy số liệu.",
        ]
    )
    sheet.column_dimensions["A"].width = 15
    sheet.column_dimensions["B"].width = 34
    for col in range(3, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 10.5
    print_setup(sheet, title_rows="2:3", freeze="C4")


def _below_target_rules(sheet: Worksheet, last: int) -> None:
    """Red where a rate is under the target in the cell to its right (conditional formatting)."""
    for index in range(len(REPORT_RATES)):
        value = get_column_letter(_FIRST_RATE_COLUMN + 2 * index)
        target = get_column_letter(_FIRST_RATE_COLUMN + 2 * index + 1)
        formula = f"AND(ISNUMBER({value}4),ISNUMBER({target}4),{value}4<{target}4)"
        rule = FormulaRule(formula=[formula], fill=BELOW, font=_RED_FONT)
        sheet.conditional_formatting.add(f"{value}4:{value}{last}", rule)


def _charts(sheet: Worksheet, report: MonthlyReport) -> None:
    """Chart data tables on the left, their charts beside them."""
    sheet.append([f"Biểu đồ, {report.label}; số liệu tính đến {report.as_of_text}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["Đơn vị", RATE_LABELS["on_time_rate"], RATE_LABELS["online_submission_rate"]])
    for r in report.chart_rows:
        sheet.append([r.name, r.rates["on_time_rate"], r.rates["online_submission_rate"]])
    last = sheet.max_row
    _style_table_head(sheet, 2, 3)
    units = BarChart()
    units.type, units.grouping = "bar", "clustered"
    units.title = f"{len(report.chart_rows)} đơn vị có tỷ lệ đúng hạn thấp nhất, {report.label}"
    units.add_data(
        Reference(sheet, min_col=2, max_col=3, min_row=2, max_row=last), titles_from_data=True
    )
    units.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
    units.x_axis.scaling.orientation = "maxMin"  # worst at the top, as in the table
    height = max(9.0, 0.7 * len(report.chart_rows))
    _percent_axis(units, width=24, height=height)
    sheet.add_chart(units, "F2")
    below_units = 2 + math.ceil(height / _ROW_CM) + 2
    start = last + 3
    _months_table(sheet, report, start)
    months = LineChart()
    months.title = "Toàn tỉnh, 6 tháng gần nhất"
    end = start + len(report.months)
    months.add_data(
        Reference(sheet, min_col=2, max_col=6, min_row=start, max_row=end), titles_from_data=True
    )
    months.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=end))
    _percent_axis(months, width=24, height=10)
    sheet.add_chart(months, f"F{max(start, below_units)}")
    if report.stake:
        _stake_chart(sheet, report, end + 3)
    sheet.column_dimensions["A"].width = 34
    for col in "BCDEF":
        sheet.column_dimensions[col].width = 14
    print_setup(sheet, title_rows=None, freeze="A2")


def _months_table(sheet: Worksheet, report: MonthlyReport, start: int) -> None:
    sheet.cell(row=start, column=1, value="Tháng")
    for offset, rate in enumerate(REPORT_RATES):
        sheet.cell(row=start, column=2 + offset, value=RATE_LABELS[rate])
    for i, (period, rates) in enumerate(report.months, start=1):
        sheet.cell(row=start + i, column=1, value=f"{period[5:7]}/{period[:4]}")
        for offset, rate in enumerate(REPORT_RATES):
            cell = sheet.cell(row=start + i, column=2 + offset, value=rates.get(rate))
            cell.number_format = PERCENT
    _style_table_head(sheet, start, 1 + len(REPORT_RATES))


def _stake_chart(sheet: Worksheet, report: MonthlyReport, start: int) -> None:
    shown = [s for s in report.stake or [] if s.points_at_stake > 0][:15]
    sheet.cell(row=start, column=1, value="Đơn vị")
    sheet.cell(row=start, column=2, value="Điểm bị ảnh hưởng")
    for i, s in enumerate(shown, start=1):
        sheet.cell(row=start + i, column=1, value=s.unit)
        sheet.cell(row=start + i, column=2, value=round(s.points_at_stake, 2))
    _style_table_head(sheet, start, 2)
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Điểm chỉ số bị ảnh hưởng do lỗi đồng bộ, lỗi phần mềm"
    data = Reference(sheet, min_col=2, min_row=start, max_row=start + len(shown))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=start + 1, max_row=start + len(shown)))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.width, chart.height = 24, max(7.0, 0.6 * len(shown))
    sheet.add_chart(chart, f"F{start}")


def _percent_axis(chart: Any, width: float, height: float) -> None:
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.y_axis.number_format = "0%"
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes by default
    chart.width, chart.height = width, height


def _style_table_head(sheet: Worksheet, row: int, columns: int) -> None:
    for col in range(1, columns + 1):
        cell = sheet.cell(row=row, column=col)
        cell.font, cell.fill = Font(bold=True), HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in sheet.iter_rows(min_row=row + 1, max_row=sheet.max_row, min_col=2, max_col=columns):
        for cell in r:
            if isinstance(cell.value, float):
                cell.number_format = PERCENT

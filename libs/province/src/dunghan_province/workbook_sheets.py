"""The workbook's lists: corrections for VPCP, escalations to DOST, targets, points at stake."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dunghan_province.document import RATE_LABELS, MonthlyReport
from dunghan_province.report import REPORT_RATES
from dunghan_province.xlsx_style import LOCAL_TIME, PERCENT, print_setup, simple_header

CORRECTION_COLUMNS = [
    "STT",
    "Mã hồ sơ",
    "Đơn vị",
    "Nguyên nhân",
    "Kết quả thực tế",
    "Cổng DVCQG tính quá hạn",
    "Thời điểm xác định (giờ Việt Nam)",
    "Căn cứ (giờ Việt Nam)",
]
ESCALATION_COLUMNS = [
    "STT",
    "Mã chuyển",
    "Mã hồ sơ",
    "Đơn vị",
    "Nguyên nhân",
    "Trạng thái",
    "Thời điểm chuyển (giờ Việt Nam)",
    "Thời điểm khắc phục (giờ Việt Nam)",
]


def corrections_sheet(sheet: Worksheet, report: MonthlyReport) -> None:
    """The month's correction list for VPCP: dossiers late only because of a fault."""
    heading = (
        f"Danh sách đề nghị Văn phòng Chính phủ hiệu chỉnh, {report.label}: hồ sơ bị tính trễ "
        f"hạn do lỗi đồng bộ hoặc lỗi phần mềm ({len(report.corrections)} hồ sơ)"
    )
    simple_header(sheet, heading, CORRECTION_COLUMNS)
    for n, c in enumerate(report.corrections, start=1):
        sheet.append(
            [n, c.dossier_id, c.unit, c.cause, c.local_timeliness, c.portal_overdue,
             c.attributed_at, c.evidence]
        )  # fmt: skip
        sheet.cell(row=sheet.max_row, column=7).number_format = LOCAL_TIME
        sheet.cell(row=sheet.max_row, column=8).alignment = Alignment(
            wrap_text=True, vertical="top"
        )
    _widths(sheet, [6, 26, 30, 14, 14, 12, 18, 70])
    print_setup(sheet, title_rows="2:2", freeze="C3")


def escalations_sheet(sheet: Worksheet, report: MonthlyReport) -> None:
    """Every escalation to DOST with its state, times in Vietnam time."""
    heading = (
        f"Sự cố chuyển Sở Khoa học và Công nghệ (còn chờ và đã khắc phục), số liệu tính đến "
        f"{report.as_of_text}"
    )
    simple_header(sheet, heading, ESCALATION_COLUMNS)
    for n, e in enumerate(report.escalations, start=1):
        sheet.append([n, e.id, e.dossier_id, e.unit, e.cause, e.status, e.opened_at, e.resolved_at])
        for col in (7, 8):
            sheet.cell(row=sheet.max_row, column=col).number_format = LOCAL_TIME
    _widths(sheet, [6, 30, 26, 30, 14, 14, 18, 18])
    print_setup(sheet, title_rows="2:2", freeze="C3")


def targets_sheet(sheet: Worksheet, report: MonthlyReport) -> None:
    """The year's targets the rates are held to."""
    simple_header(sheet, f"Chỉ tiêu năm {report.period[:4]}", ["Chỉ tiêu", "Mục tiêu"])
    for rate in REPORT_RATES:
        sheet.append([RATE_LABELS[rate], report.targets.get(rate)])
        sheet.cell(row=sheet.max_row, column=2).number_format = PERCENT
    _widths(sheet, [40, 12])
    print_setup(sheet, title_rows="2:2", freeze="A3")


def stake_sheet(sheet: Worksheet, report: MonthlyReport) -> None:
    """Index points at stake per unit (sync-audit's `/v1/index-gap`)."""
    columns = ["Đơn vị", "Điểm theo Cổng DVCQG", "Điểm sau hiệu chỉnh", "Điểm bị ảnh hưởng"]
    simple_header(sheet, f"Điểm chỉ số tiến độ bị ảnh hưởng, {report.label}", columns)
    for s in report.stake or []:
        sheet.append([s.unit, s.portal_score, s.corrected_score, s.points_at_stake])
        for col in (2, 3, 4):
            sheet.cell(row=sheet.max_row, column=col).number_format = "0.00"
    _widths(sheet, [34, 16, 16, 16])
    print_setup(sheet, title_rows="2:2", freeze="B3")


def _widths(sheet: Worksheet, widths: list[float]) -> None:
    for col, w in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = w

"""The chairman's monthly report as a workbook and a PDF, from fixed API answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dunghan_province.document import OFFICE, monthly_report
from dunghan_province.pdf import render_html, write_pdf
from dunghan_province.workbook import CHARTS_SHEET, UNITS_SHEET, write_workbook
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from tests.unit.province.report_fixture import snapshot

ENGLISH = ("unit_code", "dossier_id", "on-time", "online", "status", "cause", "opened_at", "rate")


def book(tmp_path: Path, with_gap: bool = False) -> Workbook:
    return load_workbook(write_workbook(monthly_report(snapshot(with_gap)), tmp_path / "r.xlsx"))


def texts(sheet, rows: range) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(c.value) for r in rows for c in sheet[r] if c.value is not None]


def test_cover_has_title_period_as_of_in_vietnam_time_and_office(tmp_path: Path) -> None:
    cover = book(tmp_path).worksheets[0]
    values = texts(cover, range(1, cover.max_row + 1))
    assert cover.title == "Bìa"
    assert OFFICE.upper() in values
    assert "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THÁNG 10/2026" in values
    assert "Tháng 10/2026 (từ 01/10/2026 đến hết 31/10/2026)" in values
    assert "08:15 03/11/2026 (giờ Việt Nam, UTC+7)" in values  # 01:15 UTC
    assert OFFICE in values


def test_every_sheet_prints_a4_landscape_one_page_wide(tmp_path: Path) -> None:
    workbook = book(tmp_path, with_gap=True)
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    units = workbook[UNITS_SHEET]
    assert units.print_title_rows == "$2:$3"  # the two header rows on every page
    assert units.freeze_panes == "C4"  # headers and the unit columns stay in view
    assert workbook["Hiệu chỉnh VPCP"].print_title_rows == "$2:$2"
    assert workbook["Hiệu chỉnh VPCP"].freeze_panes == "C3"


def test_headers_are_vietnamese_with_every_rate_beside_its_target(tmp_path: Path) -> None:
    workbook = book(tmp_path, with_gap=True)
    units = workbook[UNITS_SHEET]
    groups = [units.cell(row=2, column=c).value for c in range(1, units.max_column + 1)]
    columns = [units.cell(row=3, column=c).value for c in range(1, units.max_column + 1)]
    assert [groups[i] for i in (9, 11, 13, 15, 17)] == [
        "Tỷ lệ đúng hạn",
        "Tỷ lệ nộp trực tuyến",
        "Tỷ lệ thanh toán trực tuyến",
        "Tỷ lệ số hóa kết quả",
        "Tỷ lệ đồng bộ lên Cổng DVCQG",
    ]
    assert columns[9:19] == ["Thực hiện", "Chỉ tiêu"] * 5
    for sheet in workbook.worksheets:
        header_rows = range(2, 4) if sheet.title == UNITS_SHEET else range(1, 3)
        for text in texts(sheet, header_rows):
            assert not any(word in text.lower() for word in ENGLISH), (sheet.title, text)


def test_sync_rate_column_and_its_target(tmp_path: Path) -> None:
    snap = snapshot()
    units = book(tmp_path)[UNITS_SHEET]
    assert units["R2"].value == "Tỷ lệ đồng bộ lên Cổng DVCQG"
    assert units["R4"].value == pytest.approx(snap.province["sync_rate"])
    assert units["S4"].value == 0.95
    assert units["R4"].number_format == "0.0%"


def test_overdue_at_the_period_end_and_now_are_separate_labelled_columns(tmp_path: Path) -> None:
    snap = snapshot()
    units = book(tmp_path)[UNITS_SHEET]
    assert units["H2"].value == "Quá hạn chưa giải quyết"
    assert (units["H3"].value, units["I3"].value) == ("Cuối kỳ (đến hết 31/10/2026)", "Hiện tại")
    assert (units["H4"].value, units["I4"].value) == (
        snap.province["overdue_at_period_end"],
        snap.province["open_overdue"],
    )
    first = next(u for u in snap.units if u["unit_code"] == units["A5"].value)
    assert units["H5"].value == first["overdue_at_period_end"]
    assert units["H5"].value == max(u["overdue_at_period_end"] for u in snap.units)  # worst first


def test_rates_below_target_are_red_by_conditional_formatting(tmp_path: Path) -> None:
    units = book(tmp_path)[UNITS_SHEET]
    rules = {str(r.sqref): r.rules[0] for r in units.conditional_formatting}
    last = 4 + len(snapshot().units)
    assert set(rules) == {f"{col}4:{col}{last}" for col in "JLNPR"}
    assert rules[f"R4:R{last}"].formula == ["AND(ISNUMBER(R4),ISNUMBER(S4),R4<S4)"]


def test_charts_per_unit_and_month_on_month_and_points_once_served(tmp_path: Path) -> None:
    without = book(tmp_path)
    charts = without[CHARTS_SHEET]._charts
    assert [type(c).__name__ for c in charts] == ["BarChart", "LineChart"]
    assert "Điểm chỉ số" not in without.sheetnames
    months = [c.value for c in charts_column(without)]
    assert months[-6:] == ["05/2026", "06/2026", "07/2026", "08/2026", "09/2026", "10/2026"]
    with_gap = book(tmp_path, with_gap=True)
    assert len(with_gap[CHARTS_SHEET]._charts) == 3
    assert with_gap["Điểm chỉ số"]["D3"].value == pytest.approx(0.4)


def charts_column(workbook: Workbook) -> list:  # type: ignore[type-arg]
    sheet = workbook[CHARTS_SHEET]
    return [c for c in sheet["A"] if isinstance(c.value, str) and c.value[2:3] == "/"]


def test_correction_list_and_escalations_in_vietnamese_and_local_time(tmp_path: Path) -> None:
    workbook = book(tmp_path)
    corrections = workbook["Hiệu chỉnh VPCP"]
    assert corrections.max_row == 2 + 6
    assert corrections["D3"].value == "Lỗi đồng bộ"
    assert corrections["G3"].value == dt.datetime(2026, 10, 21, 10, 4)  # 03:04 UTC
    assert corrections["H3"].value.startswith("15:00 20/10/2026 portal.sync_failed")  # 08:00 UTC
    assert "dossier.assigned" not in corrections["H3"].value  # a step, not evidence
    escalations = workbook["Chuyển Sở KH&CN"]
    assert escalations.max_row == 2 + 8
    assert {escalations.cell(row=r, column=6).value for r in range(3, 11)} == {
        "Chưa tiếp nhận",
        "Đang xử lý",
        "Đã khắc phục",
    }
    assert escalations["G3"].number_format == "hh:mm dd/mm/yyyy"


def test_pdf_has_the_same_sections_and_charts() -> None:
    html = render_html(monthly_report(snapshot()))
    assert "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in html
    assert "Quảng Trị, ngày 03 tháng 11 năm 2026" in html
    assert "Tỷ lệ đồng bộ lên Cổng DVCQG" in html
    assert "Cuối kỳ (31/10/2026)" in html
    assert html.count("<svg") == 2
    assert "09:00 10/10/2026" in html  # the first escalation, opened at 02:00 UTC
    assert "10:04 21/10/2026" in html  # the first correction, attributed at 03:04 UTC
    assert "chưa trả lời /v1/index-gap" in html
    assert render_html(monthly_report(snapshot(with_gap=True))).count("<svg") == 3


def test_pdf_is_written(tmp_path: Path) -> None:
    path = write_pdf(monthly_report(snapshot()), tmp_path / "r.pdf")
    assert path.read_bytes().startswith(b"%PDF-")

"""The workbook's look: header blocks, A4 landscape print setup one page wide, cover lines."""

from __future__ import annotations

from typing import Any, Final

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

BELOW: Final = PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD")
HEAD: Final = PatternFill("solid", fgColor="D9E1F2")
PERCENT: Final = "0.0%"
LOCAL_TIME: Final = "hh:mm dd/mm/yyyy"
_THIN: Final = Side(style="thin", color="8EA9DB")
_BOX: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def header_block(
    sheet: Worksheet, heading: str, groups: list[tuple[str, int]], columns: list[str]
) -> None:
    """Row 1 the sheet's heading; row 2 the groups (merged over their columns); row 3 the columns.

    A group of one column is merged down over row 3.
    """
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=12)
    column = 1
    for name, span in groups:
        sheet.cell(row=2, column=column, value=name)
        if span > 1:
            sheet.merge_cells(
                start_row=2, start_column=column, end_row=2, end_column=column + span - 1
            )
        else:
            sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
        column += span
    for col, name in enumerate(columns, start=1):
        if sheet.cell(row=2, column=col).value != name:
            sheet.cell(row=3, column=col, value=name)
    for row in (2, 3):
        for col in range(1, len(columns) + 1):
            cell = sheet.cell(row=row, column=col)
            cell.font, cell.fill, cell.border = Font(bold=True), HEAD, _BOX
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    sheet.row_dimensions[2].height = 32
    sheet.row_dimensions[3].height = 30


def simple_header(sheet: Worksheet, heading: str, columns: list[str]) -> None:
    """Row 1 the heading, row 2 the columns (shaded, wrapped)."""
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(columns)
    for col in range(1, len(columns) + 1):
        cell = sheet.cell(row=2, column=col)
        cell.font, cell.fill, cell.border = Font(bold=True), HEAD, _BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def print_setup(sheet: Worksheet, title_rows: str | None, freeze: str | None) -> None:
    """A4 landscape, fitted one page wide (as many pages tall as needed), headers repeated."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.right.text = "&A"
    if title_rows is not None:
        sheet.print_title_rows = title_rows
    if freeze is not None:
        sheet.freeze_panes = freeze


def cover_line(sheet: Worksheet, label: str, value: Any, percent: bool) -> None:
    """One line of the cover: a bold label and its value."""
    sheet.append([label, value])
    row = sheet.max_row
    sheet.cell(row=row, column=1).font = Font(bold=True)
    cell = sheet.cell(row=row, column=2)
    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    if percent:
        cell.number_format = PERCENT

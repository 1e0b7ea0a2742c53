"""The monthly report as a PDF: an HTML page from a Jinja2 template, laid out by WeasyPrint.

The same figures, headers and charts as the workbook (`document.MonthlyReport`); the charts are
SVG drawn by `svg.py`, the font Liberation Serif (Debian's fonts-liberation2, metric-compatible
with Times New Roman, the font of Vietnamese administrative documents).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dunghan_province.document import (
    ON_TIME_NOTE,
    RATE_LABELS,
    RECIPIENT,
    TITLE,
    MonthlyReport,
)
from dunghan_province.report import REPORT_RATES, below
from dunghan_province.svg import Series, bars, lines
from dunghan_province.tables import percent
from dunghan_province.timefmt import local, local_text

TEMPLATE: Final = "bao_cao.html"


def render_html(report: MonthlyReport) -> str:
    """The report as one HTML document (A4 landscape pages in print)."""
    env = Environment(
        loader=PackageLoader("dunghan_province", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = percent
    env.filters["time"] = local_text
    return env.get_template(TEMPLATE).render(**context(report))


def write_pdf(report: MonthlyReport, path: Path) -> Path:
    """Write the PDF to `path` (its folder is created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(report))
    return path


def pdf_bytes(report: MonthlyReport) -> bytes:
    """The PDF's bytes (a few seconds of CPU for a province's hundred units)."""
    from weasyprint import HTML  # imported here: it loads Pango, which only this path needs

    pdf = HTML(string=render_html(report)).write_pdf()
    assert pdf is not None  # without a target WeasyPrint returns the bytes
    return bytes(pdf)


def context(report: MonthlyReport) -> dict[str, Any]:
    """What the template needs besides the report: labels, the charts, what is under target."""
    issued = local(report.as_of)
    return {
        "r": report,
        "title": TITLE,
        "recipient": RECIPIENT,
        "rates": [(k, RATE_LABELS[k]) for k in REPORT_RATES],
        "on_time_note": ON_TIME_NOTE,
        "issued_day": ""
        if issued is None
        else f"ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
        "below": lambda rate, value: below(rate, value, report.targets),
        "unit_chart": Markup(_unit_chart(report)),  # noqa: S704 - our own SVG, labels escaped
        "month_chart": Markup(_month_chart(report)),  # noqa: S704 - our own SVG, labels escaped
        "stake_chart": Markup(_stake_chart(report)) if report.stake else None,  # noqa: S704
    }


def _unit_chart(report: MonthlyReport) -> str:
    rows = report.chart_rows
    series = [
        Series(RATE_LABELS[k], [r.rates[k] for r in rows], report.targets.get(k))
        for k in ("on_time_rate", "online_submission_rate")
    ]
    return bars([r.name for r in rows], series)


def _month_chart(report: MonthlyReport) -> str:
    labels = [f"{p[5:7]}/{p[:4]}" for p, _ in report.months]
    series = [
        Series(RATE_LABELS[k], [rates.get(k) for _, rates in report.months], report.targets.get(k))
        for k in REPORT_RATES
    ]
    return lines(labels, series)


def _stake_chart(report: MonthlyReport) -> str:
    shown = [s for s in report.stake or [] if s.points_at_stake > 0][:15]
    series = [Series("Điểm bị ảnh hưởng", [s.points_at_stake for s in shown])]
    return bars([s.unit for s in shown], series, percent=False)

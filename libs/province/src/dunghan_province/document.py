"""The monthly report as a document: Vietnamese labels and what its sheets and pages show.

Both renderings (the workbook, `workbook.py`, and the PDF, `pdf.py`) draw from `MonthlyReport`,
so they show the same figures under the same headers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from dunghan_province.report import ReportRow, report_rows
from dunghan_province.timefmt import local, local_text, month_bounds, period_label
from dunghan_province.units import unit_name
from dunghan_province.views import Snapshot

OFFICE: Final = "Văn phòng Ủy ban nhân dân tỉnh Quảng Trị"
RECIPIENT: Final = "Chủ tịch Ủy ban nhân dân tỉnh Quảng Trị"
TITLE: Final = "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
RATE_LABELS: Final = {
    "on_time_rate": "Tỷ lệ đúng hạn",
    "online_submission_rate": "Tỷ lệ nộp trực tuyến",
    "online_payment_rate": "Tỷ lệ thanh toán trực tuyến",
    "digitization_rate": "Tỷ lệ số hóa kết quả",
    "sync_rate": "Tỷ lệ đồng bộ lên Cổng DVCQG",
}
CAUSES: Final = {
    "official_delay": "Cán bộ xử lý chậm",
    "software_error": "Lỗi phần mềm",
    "sync_error": "Lỗi đồng bộ",
    "none": "Không",
}
STATUSES: Final = {
    "open": "Chưa tiếp nhận",
    "acknowledged": "Đang xử lý",
    "resolved": "Đã khắc phục",
    "withdrawn": "Đã rút",
}
TIMELINESS: Final = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "overdue": "Quá hạn",
    "within_time": "Trong hạn",
}
ON_TIME_NOTE: Final = (
    "Tỷ lệ đúng hạn = (trước hạn + đúng hạn) / hồ sơ đã giải quyết trong tháng. Hồ sơ chưa giải "
    "quyết, kể cả hồ sơ quá hạn, không nằm trong tỷ lệ này: chúng ở hai cột quá hạn."
)
CHART_UNITS: Final = 20
EVIDENCE_SHOWN: Final = 8


@dataclass(frozen=True, slots=True)
class CorrectionLine:
    """One dossier of the correction list for VPCP (Văn phòng Chính phủ)."""

    dossier_id: str
    unit: str
    cause: str
    local_timeliness: str
    portal_overdue: str
    attributed_at: dt.datetime | None
    evidence: str


@dataclass(frozen=True, slots=True)
class EscalationLine:
    """One escalation to DOST (Sở Khoa học và Công nghệ)."""

    id: str
    dossier_id: str
    unit: str
    cause: str
    status: str
    opened_at: dt.datetime | None
    resolved_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class StakeLine:
    """One unit's index points: the portal's score, the corrected one, and what is at stake."""

    unit: str
    portal_score: float
    corrected_score: float
    points_at_stake: float


@dataclass(slots=True)
class MonthlyReport:
    """Everything the report prints about one month."""

    period: str
    office: str
    as_of: dt.datetime
    rows: list[ReportRow]
    targets: dict[str, float]
    months: list[tuple[str, dict[str, float | None]]]
    corrections: list[CorrectionLine]
    escalations: list[EscalationLine]
    stake: list[StakeLine] | None = None
    chart_rows: list[ReportRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`tháng 10/2026`."""
        return period_label(self.period)

    @property
    def span(self) -> str:
        """`từ 01/10/2026 đến hết 31/10/2026`."""
        first, last = month_bounds(self.period)
        return f"từ {first:%d/%m/%Y} đến hết {last:%d/%m/%Y}"

    @property
    def end_label(self) -> str:
        """The day the period ended (or now, if it has not), `31/10/2026`."""
        _, last = month_bounds(self.period)
        now = local(self.as_of)
        return f"{last if now is None else min(last, now.date()):%d/%m/%Y}"

    @property
    def as_of_text(self) -> str:
        """`08:15 03/12/2026 (giờ Việt Nam)`."""
        return f"{local_text(self.as_of)} (giờ Việt Nam, UTC+7)"

    @property
    def province(self) -> ReportRow:
        """The province's row."""
        return self.rows[0]


def monthly_report(snap: Snapshot, office: str = OFFICE) -> MonthlyReport:
    """The document of a snapshot collected by `views.collect_report`."""
    if snap.as_of is None:
        raise ValueError("the report needs the moment its figures were read (Snapshot.as_of)")
    rows = report_rows(snap)
    return MonthlyReport(
        period=snap.period,
        office=office,
        as_of=snap.as_of,
        rows=rows,
        targets=snap.targets,
        months=[(k["period"], _rates(k.get("province") or {})) for k in snap.history],
        corrections=[_correction(c) for c in snap.corrections],
        escalations=[_escalation(e) for e in _by_unit(snap.escalations)],
        stake=None if snap.index_gap is None else _stake(snap.index_gap),
        chart_rows=chart_rows(rows[1:]),
    )


def chart_rows(units: list[ReportRow], count: int = CHART_UNITS) -> list[ReportRow]:
    """The units with the lowest on-time rate (those with dossiers finished), worst first."""
    judged = [r for r in units if r.rates.get("on_time_rate") is not None]
    judged.sort(key=lambda r: (r.rates["on_time_rate"], -r.finished, r.unit_code))
    return judged[:count]


def _rates(kpi: dict[str, Any]) -> dict[str, float | None]:
    return {k: kpi.get(k) for k in RATE_LABELS}


def _evidence(items: list[dict[str, Any]]) -> str:
    """The deciding evidence in Vietnam time: the reception, the due date, portal, sla and system
    facts, not the dossier's every step (as sync-audit's own summary); at most a few."""
    kept = [
        f"{local_text(e.get('time'))} {e.get('kind', '')}: {e.get('detail', '')}".strip()
        for e in items
        if not str(e.get("kind", "")).startswith("dossier.") or e.get("kind") == "dossier.received"
    ]
    more = len(kept) - EVIDENCE_SHOWN
    return "; ".join(kept[:EVIDENCE_SHOWN]) + (f"; … ({more} nữa)" if more > 0 else "")


def _correction(c: dict[str, Any]) -> CorrectionLine:
    return CorrectionLine(
        dossier_id=c["dossier_id"],
        unit=unit_name(c.get("unit_code") or ""),
        cause=CAUSES.get(c["cause"], c["cause"]),
        local_timeliness=TIMELINESS.get(c.get("local_timeliness") or "", ""),
        portal_overdue="Có" if c.get("portal_overdue") else "Không",
        attributed_at=local(c.get("attributed_at")),
        evidence=_evidence(c.get("evidence") or []) or c.get("evidence_summary", ""),
    )


def _by_unit(escalations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(escalations, key=lambda e: (e["unit_code"], e["opened_at"], e["id"]))


def _escalation(e: dict[str, Any]) -> EscalationLine:
    return EscalationLine(
        id=e["id"],
        dossier_id=e["dossier_id"],
        unit=unit_name(e["unit_code"]),
        cause=CAUSES.get(e["cause"], e["cause"]),
        status=STATUSES.get(e["status"], e["status"]),
        opened_at=local(e.get("opened_at")),
        resolved_at=local(e.get("resolved_at")),
    )


def _stake(gap: dict[str, Any]) -> list[StakeLine]:
    """Units by points at stake, most first (docs/contract.md §3, `/v1/index-gap`); a unit the
    portal does not list, or with nothing received, has no points at stake and is left out."""
    lines = [
        StakeLine(
            unit=unit_name(u["unit_code"]),
            portal_score=float(u["portal"]["score"]),
            corrected_score=float(u["corrected"]["score"]),
            points_at_stake=float(u["points_at_stake"]),
        )
        for u in gap.get("units", [])
        if u.get("points_at_stake") is not None
    ]
    return sorted(lines, key=lambda s: (-s.points_at_stake, s.unit))

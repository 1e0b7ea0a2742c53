"""What the running system says about a month, read once from the APIs, and the terminal summary."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from dunghan_province.api import ProvinceApi
from dunghan_province.tables import percent, render, title
from dunghan_province.targets import LABELS, RATES
from dunghan_province.timefmt import previous_periods
from dunghan_province.units import unit_name

CAUSES = ("official_delay", "software_error", "sync_error")
STATUSES = ("open", "acknowledged", "resolved", "withdrawn")
TOP_UNITS = 12
HISTORY_MONTHS = 6


@dataclass(slots=True)
class Snapshot:
    """The answers of the four services about one period, as the views need them."""

    period: str
    kpis: dict[str, Any]
    escalations: list[dict[str, Any]]
    apologies: list[dict[str, Any]]
    causes: Counter[str]
    targets: dict[str, float] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    #: The KPI answers of the months up to this one, oldest first (the report's trend).
    history: list[dict[str, Any]] = field(default_factory=list)
    #: sync-audit's `/v1/index-gap` answer, None while it does not serve one.
    index_gap: dict[str, Any] | None = None
    as_of: dt.datetime | None = None
    #: sync-audit's portal checks: past due, no portal evidence either way
    portal_checks: list[dict[str, Any]] = field(default_factory=list)
    #: notify's letter cases (`/v1/letters`): which stand and which were withdrawn
    letters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def units(self) -> list[dict[str, Any]]:
        """The KPI rows of the units."""
        return list(self.kpis.get("units", []))

    @property
    def province(self) -> dict[str, Any]:
        """The province's KPI row."""
        return dict(self.kpis.get("province") or {})


async def collect(api: ProvinceApi, period: str, targets: dict[str, float]) -> Snapshot:
    """Read KPIs, escalations, letters and the cause of every breach from the services."""
    kpis, escalations, apologies, corrections, late, overdue = await asyncio.gather(
        api.kpis(period),
        api.escalations(),
        api.notifications("apology"),
        api.corrections(period),
        api.dossiers("late"),
        api.dossiers("overdue"),
    )
    checks, gap, letters = await asyncio.gather(
        api.portal_checks(period), api.index_gap(period), api.letters()
    )
    attributions = await api.attributions([d["dossier_id"] for d in late + overdue])
    causes = breach_causes(attributions, corrections)
    snap = Snapshot(
        period, kpis, escalations, apologies, causes, targets, corrections, index_gap=gap
    )
    snap.portal_checks = checks
    snap.letters = letters
    return snap


class ReportSource(Protocol):
    """Where the monthly report's figures come from: the APIs, or sla itself with sync-audit."""

    async def kpis(self, period: str) -> dict[str, Any]:
        """sla's KPI answer of a month."""
        ...

    async def escalations(self) -> list[dict[str, Any]]:
        """Every escalation to DOST."""
        ...

    async def corrections(self, period: str) -> list[dict[str, Any]]:
        """The VPCP correction list of a month."""
        ...

    async def index_gap(self, period: str) -> dict[str, Any] | None:
        """The index points at stake of a month, None while they are not served."""
        ...


async def collect_report(
    source: ReportSource, period: str, targets: dict[str, float], now: dt.datetime
) -> Snapshot:
    """What the monthly report needs: the month and its trend, escalations, corrections, points."""
    periods = previous_periods(period, HISTORY_MONTHS)
    history, escalations, corrections, gap = await asyncio.gather(
        asyncio.gather(*(source.kpis(p) for p in periods)),
        source.escalations(),
        source.corrections(period),
        source.index_gap(period),
    )
    return Snapshot(
        period,
        history[-1],
        escalations,
        [],
        Counter(),
        targets,
        corrections,
        history=list(history),
        index_gap=gap,
        as_of=now,
    )


def breach_causes(
    attributions: list[dict[str, Any]], corrections: list[dict[str, Any]]
) -> Counter[str]:
    """One cause per dossier: locally late ones by attribution, portal-only ones by correction."""
    causes = {a["dossier_id"]: a["cause"] for a in attributions if a["cause"] != "none"}
    for row in corrections:
        causes.setdefault(row["dossier_id"], row["cause"])
    return Counter(causes.values())


def render_summary(snap: Snapshot) -> str:
    """The terminal summary: overdue by unit, breaches by cause, escalations, letters, KPIs."""
    return "\n".join(
        [
            overdue_section(snap),
            causes_section(snap),
            escalations_section(snap),
            letters_section(snap),
            kpi_section(snap),
            stake_section(snap),
        ]
    )


def overdue_section(snap: Snapshot) -> str:
    """Units with the most open overdue dossiers (the chairman's headline figure)."""
    units = sorted(snap.units, key=lambda u: (-int(u.get("open_overdue") or 0), u["unit_code"]))
    shown = [u for u in units if u.get("open_overdue")][:TOP_UNITS]
    rows = [[unit_name(u["unit_code"]), u["unit_code"], u["open_overdue"]] for u in shown]
    total = int(
        snap.province.get("open_overdue") or sum(int(u.get("open_overdue") or 0) for u in units)
    )
    rows.append(["Toàn tỉnh (province)", "", total])
    head = title(f"Overdue in processing now (hồ sơ quá hạn đang xử lý), top {TOP_UNITS} units")
    return head + "\n" + render(["unit", "code", "overdue"], rows, right=[2])


def causes_section(snap: Snapshot) -> str:
    """Breaches by attributed cause."""
    rows: list[list[object]] = [[c, snap.causes.get(c, 0)] for c in CAUSES]
    rows.append(["total", sum(snap.causes.get(c, 0) for c in CAUSES)])
    head = title("Breaches by cause (nguyên nhân trễ hạn)")
    return head + "\n" + render(["cause", "dossiers"], rows, right=[1])


def escalations_section(snap: Snapshot) -> str:
    """Escalations to DOST (Sở KH&CN) by cause and status."""
    counts = Counter((e["cause"], e["status"]) for e in snap.escalations)
    rows = [
        [c, *(counts.get((c, s), 0) for s in STATUSES)] for c in ("software_error", "sync_error")
    ]
    head = title(f"Escalations to DOST (chuyển Sở KH&CN): {len(snap.escalations)}")
    table = render(["cause", *STATUSES], rows, right=[1, 2, 3, 4])
    checks = (
        f"Portal checks for DOST (past due, no portal evidence either way): "
        f"{len(snap.portal_checks)}"
    )
    return head + "\n" + table + "\n" + checks


def letters_section(snap: Snapshot) -> str:
    """Apology letters (phiếu xin lỗi): those standing, those withdrawn (later events showed the
    dossier was not late: nothing more goes out), and their deliveries by recipient. A delivery
    of a withdrawn letter that never went out is counted as withdrawn, not as failed."""
    withdrawn = {c["dossier_id"] for c in snap.letters if c.get("status") == "withdrawn"}
    standing = {c["dossier_id"] for c in snap.letters} - withdrawn

    def state(n: dict[str, Any]) -> str:
        failed = n.get("status") == "failed"
        return "withdrawn" if failed and n.get("dossier_id") in withdrawn else str(n.get("status"))

    counts = Counter((n.get("recipient_role", "?"), state(n)) for n in snap.apologies)
    columns = ("pending", "sent", "withdrawn", "failed")
    roles = sorted({r for r, _ in counts})
    rows = [[r, *(counts.get((r, s), 0) for s in columns)] for r in roles]
    head = title(
        f"Apology letters (phiếu xin lỗi): {len(standing)} standing, {len(withdrawn)} withdrawn "
        f"(later events showed no delay), {len(snap.apologies)} deliveries"
    )
    return head + "\n" + render(["recipient", *columns], rows, right=[1, 2, 3, 4])


def kpi_section(snap: Snapshot) -> str:
    """The province's KPIs of the month against the year's targets."""
    p = snap.province
    rows = []
    for rate in RATES:
        target = snap.targets.get(rate)
        value = p.get(rate)
        verdict = "" if target is None or value is None else ("met" if value >= target else "BELOW")
        rows.append([LABELS[rate], percent(value), percent(target), verdict])
    counts = (
        f"received {p.get('received', 0)}, finished {p.get('finished', 0)} (early "
        f"{p.get('early', 0)}, on time {p.get('on_time', 0)}, late {p.get('late', 0)})"
    )
    head = title(f"KPIs of {snap.period} against targets (chỉ tiêu): {counts}")
    return head + "\n" + render(["KPI", "value", "target", ""], rows, right=[1, 2])


def stake_section(snap: Snapshot) -> str:
    """Index points at stake (docs/domain.md §7): the portal's scores beside the corrected ones."""
    gap = snap.index_gap
    if gap is None:
        head = title("Index points at stake (điểm chỉ số bị ảnh hưởng)")
        return head + f"\nno portal index answer stored for {snap.period} (PUT /v1/portal-index)"
    p = gap["province"]
    head = title(
        f"Index points at stake (điểm chỉ số bị ảnh hưởng do lỗi đồng bộ, phần mềm), {snap.period}:"
        f" province {_points(p['points_at_stake'])} points (portal {_points(p['portal']['score'])}"
        f" → corrected {_points(p['corrected']['score'])} of 20)"
    )
    units = [u for u in gap["units"] if u.get("points_at_stake")]
    units.sort(key=lambda u: (-float(u["points_at_stake"]), u["unit_code"]))
    rows = [
        [
            unit_name(u["unit_code"]),
            _points(u["portal"]["score"]),
            _points(u["local"]["score"]),
            _points(u["corrected"]["score"]),
            _points(u["points_at_stake"]),
            len(u["by_cause"]["sync_error"]),
            len(u["by_cause"]["software_error"]),
        ]
        for u in units[:TOP_UNITS]
    ]
    headers = ["unit", "portal", "local", "corrected", "at stake", "sync", "software"]
    table = render(headers, rows, right=[1, 2, 3, 4, 5, 6])
    unmatched = gap.get("unmatched") or []
    tail = f"\nportal departments matching no unit: {', '.join(unmatched)}" if unmatched else ""
    return f"{head}\ntop {TOP_UNITS} units by points at stake\n{table}{tail}"


def _points(value: object) -> str:
    return "–" if value is None else f"{float(str(value)):.2f}"

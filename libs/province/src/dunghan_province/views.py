"""What the running system says about a month, read once from the APIs, and the terminal summary."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dunghan_province.api import ProvinceApi
from dunghan_province.tables import percent, render, title
from dunghan_province.targets import LABELS, RATES
from dunghan_province.units import unit_name

CAUSES = ("official_delay", "software_error", "sync_error")
STATUSES = ("open", "acknowledged", "resolved")
TOP_UNITS = 12


@dataclass(slots=True)
class Snapshot:
    """The answers of the four services about one period, as the views need them."""

    period: str
    kpis: dict[str, Any]
    escalations: list[dict[str, Any]]
    apologies: list[dict[str, Any]]
    causes: Counter[str]
    targets: dict[str, float] = field(default_factory=dict)

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
    attributions = await api.attributions([d["dossier_id"] for d in late + overdue])
    return Snapshot(
        period, kpis, escalations, apologies, breach_causes(attributions, corrections), targets
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
    return head + "\n" + render(["cause", *STATUSES], rows, right=[1, 2, 3])


def letters_section(snap: Snapshot) -> str:
    """Apology letters (phiếu xin lỗi): one per dossier, and their deliveries by recipient."""
    counts = Counter((n.get("recipient_role", "?"), n.get("status", "?")) for n in snap.apologies)
    roles = sorted({r for r, _ in counts})
    rows = [[r, *(counts.get((r, s), 0) for s in ("pending", "sent", "failed"))] for r in roles]
    letters = len({n.get("dossier_id") for n in snap.apologies})
    head = title(
        f"Apology letters issued (phiếu xin lỗi): {letters} letters, "
        f"{len(snap.apologies)} deliveries"
    )
    return head + "\n" + render(["recipient", "pending", "sent", "failed"], rows, right=[1, 2, 3])


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

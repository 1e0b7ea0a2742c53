"""A month of KPI answers for every unit of the sample province, made up deterministically.

Shaped like sla's `/v1/kpis` and sync-audit's `/v1/corrections`, `/v1/escalations` and
`/v1/index-gap` answers, for rendering the monthly report without the services.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from dunghan_province.timefmt import previous_periods
from dunghan_province.units import UNITS
from dunghan_province.views import Snapshot

TARGETS = {
    "on_time_rate": 0.95,
    "online_submission_rate": 0.8,
    "online_payment_rate": 0.8,
    "digitization_rate": 0.8,
    "sync_rate": 0.95,
}
PERIOD = "2026-10"
AS_OF = dt.datetime(2026, 11, 3, 1, 15, tzinfo=dt.UTC)  # 08:15 in Vietnam


def _unit(code: str, draw: random.Random, drift: float) -> dict[str, Any]:
    received = draw.randint(8, 120)
    finished = max(0, received - draw.randint(0, 12))
    late = min(finished, draw.choice([0, 0, 0, 1, 2, 4, 9]))
    early = (finished - late) * 2 // 3
    synced = received - draw.choice([0, 0, 1, 2, 6])
    overdue_end = draw.choice([0, 0, 0, 1, 2, 5])
    return {
        "unit_code": code,
        "received": received,
        "finished": finished,
        "early": early,
        "on_time": finished - late - early,
        "late": late,
        "open_overdue": max(0, overdue_end - draw.choice([0, 1])),
        "overdue_at_period_end": overdue_end,
        "on_time_rate": (finished - late) / finished if finished else None,
        "online_submission_rate": min(1.0, draw.uniform(0.55, 0.97) + drift),
        "online_payment_rate": draw.choice([None, draw.uniform(0.6, 1.0)]),
        "digitization_rate": min(1.0, draw.uniform(0.7, 0.98) + drift),
        "sync_rate": synced / received,
        "below_target": [],
    }


def _province(units: list[dict[str, Any]]) -> dict[str, Any]:
    total = {k: sum(u[k] for u in units) for k in ("received", "finished", "early", "on_time")}
    total |= {k: sum(u[k] for u in units) for k in ("late", "open_overdue")}
    total["overdue_at_period_end"] = sum(u["overdue_at_period_end"] for u in units)
    total["on_time_rate"] = (total["finished"] - total["late"]) / total["finished"]
    for rate in ("online_submission_rate", "digitization_rate", "sync_rate"):
        total[rate] = sum(u[rate] * u["received"] for u in units) / total["received"]
    total["online_payment_rate"] = 0.74
    return total


def kpis(period: str, seed: int) -> dict[str, Any]:
    """One month's answer; later months drift upwards a little."""
    draw = random.Random(seed)
    drift = 0.01 * (int(period[5:7]) - 5)
    units = [_unit(u.code, draw, drift) for u in UNITS]
    return {"period": period, "province": _province(units), "units": units}


def snapshot(with_gap: bool = False) -> Snapshot:
    """October 2026 with its five months before, as the report collects them."""
    history = [kpis(p, seed=i) for i, p in enumerate(previous_periods(PERIOD, 6))]
    codes = [u.code for u in UNITS]
    escalations = [
        {"id": f"esc-{i}", "dossier_id": f"{codes[i * 7]}-251015-{i:04d}",
         "unit_code": codes[i * 7],
         "cause": ("sync_error", "software_error")[i % 2],
         "status": ("open", "acknowledged", "resolved")[i % 3],
         "opened_at": f"2026-10-{10 + i:02d}T02:00:00+00:00",
         "resolved_at": "2026-10-30T09:30:00+00:00" if i % 3 == 2 else None}
        for i in range(8)
    ]  # fmt: skip
    corrections = [
        {"dossier_id": f"{codes[i * 5]}-251006-{i:04d}", "unit_code": codes[i * 5],
         "cause": ("sync_error", "software_error")[i % 2], "local_timeliness": "on_time",
         "portal_overdue": True, "attributed_at": "2026-10-21T03:04:00+00:00",
         "evidence_summary": "",
         "evidence": [{"time": "2026-10-20T07:00:00+00:00", "kind": "dossier.assigned",
                       "detail": "assigned"},
                      {"time": "2026-10-20T08:00:00+00:00", "kind": "portal.sync_failed",
                       "detail": "HTTP 503 từ Cổng DVCQG, 4 lần thử lại"}]}
        for i in range(6)
    ]  # fmt: skip
    gap = None
    if with_gap:
        gap = {
            "period": PERIOD,
            "units": [
                {"unit_code": c, "portal": {"score": 16.0 + i / 10},
                 "corrected": {"score": 16.0 + i / 10 + (0.4 if i % 3 == 0 else 0.0)},
                 "points_at_stake": 0.4 if i % 3 == 0 else 0.0}
                for i, c in enumerate(codes[:12])
            ],
        }  # fmt: skip
    return Snapshot(
        PERIOD,
        history[-1],
        escalations,
        [],
        Counter(),
        TARGETS,
        corrections,
        history=history,
        index_gap=gap,
        as_of=AS_OF,
    )

"""The sample month's portal index answer: the portal's shape, every department a unit of the
directory, figures the portal's way, and the sync faults making the portal count more overdue."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from dunghan_common.calendar import load_calendar
from dunghan_common.units.loader import load_units
from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.portal_index import portal_late
from dunghan_province.views import Snapshot, render_summary
from sync_audit.domain.index import computed, parse_answer

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture(scope="module")
def month() -> SampleMonth:
    cal = load_calendar(ROOT / "config/calendar")
    sample = SampleMonth(MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=2000), cal, fates={})
    for _ in sample.events():
        pass
    return sample


def test_the_answer_passes_the_portal_checks_and_every_department_is_a_unit(month) -> None:
    answer = month.portal.answer()
    parsed = parse_answer(answer)  # sync-audit's own checks: shape, counts, ratio, score
    directory = load_units(ROOT / "config/units.toml")
    assert all(directory.by_department_code(d.department_code) for d in parsed.children)
    for d in parsed.children:
        assert d.figures == computed(d.figures.received, d.figures.on_time)
    total = sum(d.figures.received for d in parsed.children)
    assert parsed.parent.figures == computed(total, sum(d.figures.on_time for d in parsed.children))


def test_the_portal_counts_sync_faults_overdue_and_never_sees_unsynced_dossiers(month) -> None:
    fates = month.fates or {}
    faults = [f for f in fates.values() if f.final_sync in ("lost", "late") and not f.late]
    assert faults, "the sample has sync faults"
    answer: dict[str, Any] = month.portal.answer()
    received = answer["data"]["parent"]["totalReceived"]
    seen = [f for f in fates.values() if f.synced and f.ending != "refused"]
    assert received == len(seen) < month.stats["received"]
    as_of = int(AS_OF.timestamp())
    assert all(portal_late(f, as_of - 1, as_of) for f in faults)


def test_the_summary_prints_the_points_at_stake() -> None:
    def figures(received: int, on_time: int) -> dict[str, Any]:
        return computed(received, on_time).model_dump()

    unit = {
        "unit_code": "000.00.12.H50",
        "portal": figures(588, 486),
        "local": figures(588, 500),
        "corrected": figures(588, 510),
        "points_at_stake": 0.82,
        "by_cause": {"sync_error": [{}] * 14, "software_error": [{}] * 10},
    }
    gap = {
        "period": "2026-10",
        "province": {
            "portal": figures(588, 486),
            "local": figures(588, 500),
            "corrected": figures(588, 510),
            "points_at_stake": 0.82,
        },
        "units": [unit],
        "unmatched": ["H50.99"],
    }
    snap = Snapshot("2026-10", {}, [], [], Counter(), index_gap=gap)
    text = render_summary(snap)
    assert "province 0.82 points (portal 16.53 → corrected 17.35 of 20)" in text
    assert "Sở Xây dựng" in text
    assert "H50.99" in text
    empty = render_summary(Snapshot("2026-10", {}, [], [], Counter()))
    assert "no portal index answer stored for 2026-10" in empty

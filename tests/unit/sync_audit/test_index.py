"""The portal's index figures (docs/domain.md §7): its answer checked field by field, the local
and corrected figures computed its way, the points at stake, and storing nothing on refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.units import UnitDirectory
from dunghan_common.units.loader import load_units
from sync_audit.domain.gap import GapDossier, UnitTally, index_gap
from sync_audit.domain.index import AnswerRefusedError, Figures, computed, parse_answer
from sync_audit.settings import SyncAuditSettings
from sync_audit.usecases.index import PortalIndex, month_bounds

ROOT = Path(__file__).resolve().parents[3]

SXD = "000.00.12.H50"  # Sở Xây dựng, departmentCode H50.12 in config/units.toml


def department(code: str, received: int, on_time: int, **override: Any) -> dict[str, Any]:
    """One department as the portal answers it, figures computed its way."""
    ratio = round(on_time / received * 100, 2) if received else 0
    item = {
        "departmentCode": code,
        "departmentName": f"Đơn vị {code}",
        "level": "PROVINCE",
        "totalReceived": received,
        "totalOnTime": on_time,
        "totalOverdue": received - on_time,
        "avgProcessingDays": 3.2,
        "ratio": ratio,
        "score": round(on_time / received * 20, 2) if received else 0,
        "maxScore": 20,
    }
    return {**item, **override}


def answer(*children: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, Any]:
    """The portal's answer with these children; the province sums them unless given."""
    if parent is None:
        received = sum(int(c["totalReceived"]) for c in children)
        on_time = sum(int(c["totalOnTime"]) for c in children)
        parent = department("H50", received, on_time, totalScore=0, totalMaxScore=20)
    return {"code": "OK", "data": {"parent": parent, "children": list(children)}}


def test_the_worked_example_of_domain_7_is_reproduced_exactly():
    # received 588, on time 486, overdue 102, ratio 82.65, score 16.53
    assert computed(588, 486) == Figures(
        received=588, on_time=486, overdue=102, ratio=82.65, score=16.53
    )
    parsed = parse_answer(answer(department("H50.12", 588, 486, ratio=82.65, score=16.53)))
    assert parsed.children[0].figures == computed(588, 486)


def test_figures_round_half_up_to_hundredths_and_nothing_received_has_no_score():
    assert computed(3, 2) == Figures(received=3, on_time=2, overdue=1, ratio=66.67, score=13.33)
    assert computed(8, 1).ratio == 12.5  # 12.50 exactly
    assert computed(0, 0) == Figures(received=0, on_time=0, overdue=0, ratio=None, score=None)


def refused(raw: object) -> dict[str, str]:
    with pytest.raises(AnswerRefusedError) as caught:
        parse_answer(raw)
    return {e.loc: e.msg for e in caught.value.errors}


def test_a_wrong_shape_is_refused_where_it_is_wrong():
    assert refused([1, 2]) == {"$": "must be a JSON object"}
    assert set(refused({"code": "OK"})) == {"data"}
    assert set(refused({"code": "OK", "data": {"parent": {}, "children": {}}})) >= {
        "data.children",
        "data.parent.departmentCode",
        "data.parent.totalReceived",
    }
    assert set(refused({"code": "ERR", "data": answer()["data"]})) == {"code"}


def test_counts_inconsistent_with_ratio_score_or_each_other_are_refused_field_by_field():
    errors = refused(
        answer(
            department("H50.01", 588, 486, ratio=85.0),  # 82.65
            department("H50.02", 100, 90, score=19.0),  # 18.00
            department("H50.03", 100, 90, totalOverdue=5),  # 10
            department("H50.04", 10, -1),  # a negative count
            department("H50.05", 10, 12, totalOverdue=0),  # on time above received
            department("H50.06", 10, 5, totalReceived="ten"),
            department("H50.07", 10, 5, totalOnTime=4.5),
            department("H50.08", 10, 5, ratio=None),
            parent=department("H50", 0, 0),
        )
    )
    assert errors == {
        "data.children[0].ratio": "must be totalOnTime ÷ totalReceived × 100 = 82.65",
        "data.children[1].score": "must be ratio ÷ 100 × 20 = 18.0",
        "data.children[2].totalOverdue": "must be totalReceived − totalOnTime = 10",
        "data.children[3].totalOnTime": "must not be negative",
        "data.children[4].totalOnTime": "exceeds totalReceived",
        "data.children[5].totalReceived": "must be a number",
        "data.children[6].totalOnTime": "must be a whole number",
        "data.children[7].ratio": "is required",
    }


def test_rounding_and_numeric_strings_are_accepted():
    # 2/3: the portal may round 66.666… or truncate it; both are within its rounding
    parsed = parse_answer(
        answer(
            department("H50.01", 3, 2, ratio=66.66, score=13.33),
            department(
                "H50.02",
                3,
                2,
                totalReceived="3",
                totalOnTime="2",
                totalOverdue="1",
                ratio="66.67",
                score="13.33",
            ),
        )
    )
    assert [c.figures.received for c in parsed.children] == [3, 3]


def test_a_department_code_given_twice_is_refused():
    errors = refused(answer(department("H50.01", 3, 2), department("H50.01", 4, 4)))
    assert errors == {"data.children[1].departmentCode": "appears twice"}


def dossier(dossier_id: str, unit: str, cause: str, timeliness: str) -> GapDossier:
    due = dt.datetime(2025, 8, 6, 10, tzinfo=dt.UTC)
    return GapDossier(
        dossier_id=dossier_id,
        unit_code=unit,
        cause=cause,
        local_timeliness=timeliness,
        portal_view="disagrees",
        due_at=due,
        counted_on_time=timeliness in ("late", "overdue"),
        evidence=[],
    )


def test_the_gap_sets_portal_local_and_corrected_side_by_side_and_lists_the_unmatched():
    portal = parse_answer(answer(department("H50.12", 588, 480), department("H99.99", 10, 10)))
    # 588 received here; 496 not called late; of the 92 late, 10 by a software fault
    tally = UnitTally(unit_code=SXD, received=588, on_time=496, fault_late=10)
    listed = [dossier(f"d{i}", SXD, "software_error", "late") for i in range(10)]
    listed += [dossier(f"s{i}", SXD, "sync_error", "on_time") for i in range(16)]
    units = {"H50.12": SXD}
    gap = index_gap("2025-08", portal, units.get, [tally], listed)
    assert gap.unmatched == ["H99.99"]
    (unit,) = gap.units
    assert unit.portal == computed(588, 480)
    assert unit.local == computed(588, 496)
    assert unit.corrected == computed(588, 506)  # 20 × 506 / 588 = 17.21
    assert unit.points_at_stake == round(17.21 - 16.33, 2)
    moved = [d for ds in unit.by_cause.values() for d in ds if d.counted_on_time]
    assert len(moved) == unit.corrected.on_time - unit.local.on_time
    assert len(unit.by_cause["sync_error"]) == 16
    assert gap.province.portal == computed(598, 490)
    assert gap.province.corrected == computed(588, 506)


class FakeStore:
    """The `IndexStore` port in memory."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[str, Any]] = {}
        self.tallies: list[UnitTally] = []
        self.dossiers: list[GapDossier] = []

    async def save_answer(self, period: str, raw: dict[str, Any], source: str, at: Any) -> None:
        self.answers[period] = raw

    async def answer(self, period: str) -> dict[str, Any] | None:
        return self.answers.get(period)

    async def latest_period(self) -> str | None:
        return max(self.answers, default=None)

    async def month(self, start: Any, end: Any, unit_code: str | None) -> Any:
        return self.tallies, self.dossiers


class Units:
    def __init__(self) -> None:
        self.directory: UnitDirectory = load_units(ROOT / "config" / "units.toml")

    def current(self) -> UnitDirectory:
        return self.directory


class Gauge:
    def __init__(self) -> None:
        self.points: dict[str, float] = {}

    def points_at_stake(self, points: dict[str, float]) -> None:
        self.points = dict(points)


def portal_index() -> tuple[PortalIndex, FakeStore, Gauge]:
    store, gauge = FakeStore(), Gauge()
    clock = FakeClock(dt.datetime(2025, 9, 2, tzinfo=dt.UTC))
    return PortalIndex(store, Units(), clock, gauge), store, gauge


@pytest.mark.asyncio
async def test_a_refused_answer_stores_nothing_and_an_unknown_department_is_listed():
    index, store, _ = portal_index()
    with pytest.raises(AnswerRefusedError):
        await index.put("2025-08", answer(department("H50.12", 10, -1)), "api")
    assert store.answers == {}
    stored = await index.put(
        "2025-08", answer(department("H50.12", 10, 9), department("X.1", 1, 1)), "api"
    )
    assert (stored.matched, stored.unmatched) == (1, ["X.1"])
    assert "2025-08" in store.answers


@pytest.mark.asyncio
async def test_the_metric_is_bounded_to_the_directory():
    index, store, gauge = portal_index()
    await index.put("2025-08", answer(department("H50.12", 100, 80)), "api")
    store.tallies = [
        UnitTally(unit_code=SXD, received=100, on_time=90, fault_late=5),
        UnitTally(unit_code="999.99.99.H50", received=5, on_time=5, fault_late=0),
    ]
    assert await index.refresh_metric() == "2025-08"
    assert gauge.points == {SXD: 3.0}  # 19.00 − 16.00; the unknown unit has no portal score


def test_a_month_runs_from_midnight_to_midnight_in_vietnam():
    start, end = month_bounds("2025-12")
    assert start.isoformat() == "2025-12-01T00:00:00+07:00"
    assert end.isoformat() == "2026-01-01T00:00:00+07:00"


def test_the_scheduled_fetch_is_off_unless_configured():
    settings = SyncAuditSettings(env="test").portal_index
    assert settings.url is None
    assert settings.fetch_interval_s == 0


def test_absurd_numbers_are_refused_not_computed():
    errors = refused(
        answer(
            department("H50.01", 3, 2, totalReceived="1e999999"),
            department("H50.02", 3, 2, ratio="NaN"),
            department("H50.03", 3, 2, score=True),
            parent=department("H50", 0, 0),
        )
    )
    assert errors == {
        "data.children[0].totalReceived": "must not exceed 1000000000",
        "data.children[1].ratio": "must be a number",
        "data.children[2].score": "must be a number",
    }

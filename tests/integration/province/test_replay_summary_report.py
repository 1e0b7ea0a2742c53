"""A generated month replayed into the four running services, read back by summary and report.

The services run as processes on fresh databases and topics (tests/e2e/system.py). The sample's
shares are raised so that every cause of breach shows up in a few hundred dossiers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import orjson
import pytest
import pytest_asyncio
from dunghan_common.calendar import load_calendar
from dunghan_province.api import Endpoints, ProvinceApi
from dunghan_province.demo import DemoOptions, put_portal_index, settle
from dunghan_province.document import monthly_report
from dunghan_province.fate import Fate
from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.replay import ReplayTarget, replay_file
from dunghan_province.report import render_report
from dunghan_province.sample import previous_month
from dunghan_province.shares import Shares
from dunghan_province.targets import load_targets
from dunghan_province.views import Snapshot, collect, collect_report, render_summary
from dunghan_province.workbook import UNITS_SHEET, write_workbook
from openpyxl import load_workbook

from tests.e2e.system import ROOT, System

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHARES = Shares(late=0.12, stuck=0.03, software_error=0.4, final_lost=0.05, final_late=0.05)


@dataclass(frozen=True)
class Replayed:
    """What the test replayed and what the services answered afterwards."""

    month: SampleMonth
    snap: Snapshot
    endpoints: Endpoints


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system() -> AsyncIterator[System]:
    running = System()
    try:
        await running.start()
        yield running
    finally:
        await running.stop()


def endpoints(system: System) -> Endpoints:
    return Endpoints(
        system.url("ingest"), system.url("sla"), system.url("sync-audit"), system.url("notify")
    )


async def until_every_cause(api: ProvinceApi, period: str, timeout_s: float) -> Snapshot:
    """Collect until all three causes, escalations and letters are there (or time runs out)."""
    deadline = time.monotonic() + timeout_s
    targets = load_targets(ROOT / "config/targets", int(period[:4]))
    while True:
        snap = await collect(api, period, targets)
        done = all(snap.causes[c] for c in ("official_delay", "software_error", "sync_error"))
        if (done and snap.escalations and snap.apologies) or time.monotonic() > deadline:
            return snap
        await asyncio.sleep(2)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def replayed(system: System, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """A month generated, replayed twice (by dossier, then in time order), settled, collected."""
    now = dt.datetime.now(dt.UTC)
    year, month = previous_month(now)
    spec = MonthSpec(year, month, int(now.timestamp()) - 60, volume=300, seed=11, shares=SHARES)
    sample = SampleMonth(spec, load_calendar(ROOT / "config/calendar"), fates={})
    path = tmp_path_factory.mktemp("province") / "sample.ndjson"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in sample.events()))
    lines = path.read_bytes().splitlines()
    target = ReplayTarget(url=system.url("ingest"), batch_size=500, order="dossier")
    async with httpx.AsyncClient(timeout=60) as client:
        first = await replay_file(path, target, client)
        assert first.accepted + first.duplicates == len(lines)
        assert first.accepted == len({orjson.loads(line)["id"] for line in lines})
        again = await replay_file(path, replace(target, order="time"), client)
        assert (again.accepted, again.duplicates) == (0, len(lines))
        api = ProvinceApi(endpoints(system), client)
        options = DemoOptions(settle_s=120, poll_s=1, endpoints=endpoints(system))
        assert await settle(api, spec.period, sample.stats["received"], options)
        snap = await until_every_cause(api, spec.period, timeout_s=90)
        return Replayed(sample, snap, endpoints(system))


async def test_replayed_month_shows_in_summary_and_report(
    replayed: Replayed, tmp_path: Path
) -> None:
    snap, stats = replayed.snap, replayed.month.stats
    assert snap.province["received"] == stats["received"]
    assert snap.province["late"] > 0
    assert snap.province["open_overdue"] > 0
    assert snap.causes["official_delay"] > 0
    assert snap.causes["software_error"] > 0
    assert snap.causes["sync_error"] > 0
    assert {e["cause"] for e in snap.escalations} == {"software_error", "sync_error"}
    assert snap.apologies

    summary = render_summary(snap)
    assert f"received {stats['received']}" in summary
    report = render_report(snap)
    assert "Toàn tỉnh" in report


async def test_monthly_report_reads_the_month_its_trend_and_the_corrections(
    replayed: Replayed, tmp_path: Path
) -> None:
    stats = replayed.month.stats
    period = replayed.snap.period
    async with httpx.AsyncClient(timeout=60) as client:
        api = ProvinceApi(replayed.endpoints, client)
        snap = await collect_report(api, period, replayed.snap.targets, dt.datetime.now(dt.UTC))
    assert [k["period"] for k in snap.history][-1] == period
    assert len(snap.history) == 6
    assert snap.corrections == replayed.snap.corrections
    assert snap.index_gap is None  # no portal index answer stored for the month yet
    assert snap.province["overdue_at_period_end"] > 0
    book = load_workbook(write_workbook(monthly_report(snap), tmp_path / "report.xlsx"))
    units = book[UNITS_SHEET]
    assert units["C4"].value == stats["received"]
    assert units["H4"].value == snap.province["overdue_at_period_end"]
    assert units.max_row == 3 + 1 + len(snap.units) + 3  # the notes after the table
    assert book["Hiệu chỉnh VPCP"].max_row == 2 + len(snap.corrections)


async def test_only_dossiers_drawn_late_get_an_apology(replayed: Replayed) -> None:
    fates = replayed.month.fates or {}
    wrongly = sorted(
        n["dossier_id"] for n in replayed.snap.apologies if not _drawn_late(fates[n["dossier_id"]])
    )
    assert wrongly == []


def _drawn_late(fate: Fate) -> bool:
    """Late by the sample's own drawing (late, never finished, wrong receipt, second supplement)."""
    return fate.late or fate.ending == "stuck" or fate.mismatch or fate.supplements > 1


async def test_the_portal_s_answer_for_the_month_gives_the_points_at_stake(
    replayed: Replayed, tmp_path: Path
) -> None:
    period = replayed.snap.period
    async with httpx.AsyncClient(timeout=60) as client:
        api = ProvinceApi(replayed.endpoints, client)
        saved = tmp_path / "dvcqg-index.json"
        saved.write_text(orjson.dumps(replayed.month.portal.answer()).decode())
        await put_portal_index(api, period, saved)  # what `make run` does after settling
        snap = await collect(api, period, replayed.snap.targets)
        report_snap = await collect_report(api, period, snap.targets, dt.datetime.now(dt.UTC))
    gap = snap.index_gap
    assert gap is not None
    province = gap["province"]
    # faults only ever count dossiers on time: corrected ≥ local, and the faults the sample drew
    # (lost and late finishes, software faults) cost the province points on the portal
    assert province["corrected"]["on_time"] >= province["local"]["on_time"]
    assert province["points_at_stake"] > 0
    for unit in gap["units"]:
        moved = [d for ds in unit["by_cause"].values() for d in ds if d["counted_on_time"]]
        assert len(moved) == unit["corrected"]["on_time"] - unit["local"]["on_time"]
    assert f"province {province['points_at_stake']:.2f} points" in render_summary(snap)
    assert report_snap.index_gap == gap
    book = load_workbook(write_workbook(monthly_report(report_snap), tmp_path / "report.xlsx"))
    assert any(name.startswith("Điểm chỉ số") for name in book.sheetnames)

"""A generated month replayed into the four running services, read back by summary and report.

The services run as processes on fresh databases and topics (tests/e2e/system.py). The sample's
shares are raised so that every cause of breach shows up in a few hundred dossiers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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

# At least 20 dossiers of each history the truth checks count (seed 11, 400 dossiers): late
# events that flip a verdict (stragglers), no portal event at all, a two-day outage, a failed
# finishing sync.
SHARES = Shares(
    late=0.12,
    stuck=0.03,
    software_error=0.4,
    final_lost=0.08,
    final_late=0.08,
    unsynced=0.1,
    late_pause=0.12,
    outage_hours=60,
)
FINISHING = frozenset({3, 7, 8, 9, 10})


@dataclass(frozen=True)
class Replayed:
    """What the test replayed and what the services answered afterwards."""

    month: SampleMonth
    snap: Snapshot
    events: list[dict[str, Any]]
    attributions: dict[str, dict[str, Any]]
    dossiers: dict[str, dict[str, Any]]
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


def month_knobs() -> dict[str, Any]:
    """The test's month: 400 dossiers (seed 11) with every kind of history raised; or, with
    ``DUNGHAN_TRUTH_MONTH=run``, the month ``make run`` replays (2,000 dossiers, seed 8, the
    sample's own shares), to count the same truths over it."""
    if os.environ.get("DUNGHAN_TRUTH_MONTH") == "run":
        return {"volume": 2000, "seed": 8}
    return {"volume": 400, "seed": 11, "shares": SHARES}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def replayed(system: System, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """A month generated, replayed twice (by dossier, then in time order), settled, collected."""
    now = dt.datetime.now(dt.UTC)
    year, month = previous_month(now)
    spec = MonthSpec(year, month, int(now.timestamp()) - 60, **month_knobs())
    sample = SampleMonth(spec, load_calendar(ROOT / "config/calendar"), fates={})
    folder = tmp_path_factory.mktemp("province")
    path, late_path = folder / "sample.ndjson", folder / "sample.late.ndjson"
    events = list(sample.events())
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    late_path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in sample.stragglers))
    lines = path.read_bytes().splitlines()
    target = ReplayTarget(url=system.url("ingest"), batch_size=500, order="dossier")
    async with httpx.AsyncClient(timeout=60) as client:
        first = await replay_file(path, target, client)
        assert first.accepted + first.duplicates == len(lines)
        assert first.accepted == len({orjson.loads(line)["id"] for line in lines})
        again = await replay_file(path, replace(target, order="time"), client)
        assert (again.accepted, again.duplicates) == (0, len(lines))
        api = ProvinceApi(endpoints(system), client)
        options = DemoOptions(
            settle_s=120, poll_s=1, endpoints=endpoints(system), quiet_s=system.quiet_s
        )
        assert await settle(api, spec.period, sample.stats["received"], options)
        # The stragglers come days late, once everything else is judged: they flip verdicts.
        late = await replay_file(late_path, target, client)
        assert late.accepted == len(sample.stragglers) > 0
        assert await settle(api, spec.period, sample.stats["received"], options)
        snap = await until_every_cause(api, spec.period, timeout_s=90)
        codes = sorted(sample.fates or {})
        attributions = {a["dossier_id"]: a for a in await api.attributions(codes)}
        dossiers = {d["dossier_id"]: d for d in await _sla_dossiers(client, system, codes)}
        return Replayed(
            sample,
            snap,
            [*events, *sample.stragglers],
            attributions,
            dossiers,
            endpoints(system),
        )


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
    """Late by the sample's own drawing (late, never finished, wrong receipt, second supplement),
    or judged late until its stragglers came (a letter may have gone out before they did)."""
    return (
        fate.late
        or fate.ending == "stuck"
        or fate.mismatch
        or fate.supplements > 1
        or fate.late_pause
    )


async def _sla_dossiers(
    client: httpx.AsyncClient, system: System, codes: list[str]
) -> list[dict[str, Any]]:
    """sla's view of each dossier it knows (the refused ones it never received are left out)."""
    gate = asyncio.Semaphore(8)
    headers = {"authorization": "Bearer dev-ops-token"}

    async def one(code: str) -> dict[str, Any] | None:
        async with gate:
            r = await client.get(f"{system.url('sla')}/v1/dossiers/{code}", headers=headers)
        return dict(r.json()) if r.status_code == 200 else None

    return [d for d in await asyncio.gather(*(one(c) for c in codes)) if d is not None]


def _by_dossier(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if "subject" in e:
            grouped[e["subject"]].append(e)
    return grouped


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _portal_evidence(events: list[dict[str, Any]], due: dt.datetime) -> bool:
    """The sample's own reading: the portal refused a finishing status, got it after the due
    date, or a snapshot of it was taken (what sync-audit may count as evidence)."""
    for e in events:
        code = e["data"].get("status_code")
        if e["type"] == "portal.snapshot":
            return True
        if code in FINISHING and e["type"] == "portal.sync_failed":
            return True
        if code in FINISHING and e["type"] == "portal.sync_succeeded" and _at(e["time"]) > due:
            return True
    return False


async def test_what_the_system_says_is_true_and_whole(replayed: Replayed) -> None:
    """Counted over the replayed month: nothing said without evidence, nothing owed left out."""
    fates, events = replayed.month.fates or {}, _by_dossier(replayed.events)
    attributions, dossiers = replayed.attributions, replayed.dossiers
    now = dt.datetime.now(dt.UTC)
    outage = sorted(_at(e["time"]) for e in replayed.events if e["type"].startswith("system.out"))
    due = {c: _at(d["due_at"]) for c, d in dossiers.items() if d.get("due_at")}
    cause = {c: a["cause"] for c, a in attributions.items()}
    flipped = [c for c, f in fates.items() if f.late_pause and c in dossiers]
    flipped = [c for c in flipped if dossiers[c]["finished_at"]]
    silent = [c for c in dossiers if not any(e["type"].startswith("portal.") for e in events[c])]
    failed = [
        c
        for c in dossiers
        if any(
            e["type"] == "portal.sync_failed" and e["data"]["status_code"] in FINISHING
            for e in events[c]
        )
    ]
    in_outage = [c for c, d in due.items() if outage[0] <= d <= outage[-1]]
    kinds = {"flipped": len(flipped), "no portal event": len(silent), "outage": len(in_outage)}
    kinds["failed finishing sync"] = len(failed)
    assert min(kinds.values()) >= 20, kinds

    untrue_sync = [
        c for c, k in cause.items() if k == "sync_error" and not _portal_evidence(events[c], due[c])
    ]
    on_time = {c for c, d in dossiers.items() if d["timeliness"] in ("early", "on_time")}
    # The sample's own sync faults of a finish, on time locally, once the portal's due passed.
    supported = [
        c
        for c, f in fates.items()
        if f.final_sync in ("lost", "late") and c in on_time and due[c] < now
    ]
    missing_sync = [c for c in supported if cause.get(c) != "sync_error"]
    checks = {c["dossier_id"] for c in replayed.snap.portal_checks}
    period = replayed.month.spec.period
    unchecked = [
        c
        for c in silent
        if c in due
        and due[c] < now
        and attributions.get(c, {}).get("period") == period
        and c not in checks
    ]
    escalated_silent = [
        c
        for c in silent
        for e in replayed.snap.escalations
        if e["cause"] == "sync_error" and c in _members(e)
    ]
    stale = [
        (e["id"], c)
        for e in replayed.snap.escalations
        if e["status"] in ("open", "acknowledged")
        for c in _members(e)
        if cause.get(c) != e["cause"]
    ]
    # On time once the stragglers came: not late locally (a sync fault of its own may remain).
    flipped_wrong = [
        c
        for c in flipped
        if dossiers[c]["timeliness"] not in ("early", "on_time")
        or cause.get(c) in ("official_delay", "software_error")
    ]
    outage_groups = [e for e in replayed.snap.escalations if e.get("outage_id")]
    outage_software = [c for c in in_outage if cause.get(c) == "software_error"]
    ungrouped = [c for c in outage_software if not any(c in _members(e) for e in outage_groups)]
    said = {
        "sync_error without portal evidence": untrue_sync,
        "supported sync_error not attributed": missing_sync,
        "past due without portal evidence, not in portal checks": unchecked,
        "escalated without portal evidence": escalated_silent,
        "open escalations whose cause no longer holds": stale,
        "flipped to on time, still late or blamed locally": flipped_wrong,
        "outage software faults outside the outage's escalation": ungrouped,
    }
    figures = {
        **kinds,
        "sync_error": sum(1 for k in cause.values() if k == "sync_error"),
        "supported sync faults": len(supported),
        "portal checks": len(checks),
        "outage escalation dossiers": sum(len(_members(e)) for e in outage_groups),
    }
    print("truth over the replayed month:", figures, {k: len(v) for k, v in said.items()})
    assert {k: v for k, v in said.items() if v} == {}
    assert len(supported) >= 20
    assert len(outage_groups) == 1
    assert outage_software


async def test_every_letter_tells_the_truth_and_every_owed_one_is_there(
    replayed: Replayed,
) -> None:
    """Counted over the replayed month: letters and reminders, what they say and to whom."""
    async with httpx.AsyncClient(timeout=60) as client:
        api = ProvinceApi(replayed.endpoints, client)
        letters = await api.letters()
        reminders = await api.notifications("reminder")
        notices = await api.notifications("notice")
    dossiers, attributions = replayed.dossiers, replayed.attributions
    cause = {c: a["cause"] for c, a in attributions.items()}
    live = [c for c in letters if c["status"] in ("issued", "amended", "awaiting_approval")]
    finished = {c: _at(d["finished_at"]) for c, d in dossiers.items() if d.get("finished_at")}
    # Served by the due date: on time or early, and also a second supplement request served in
    # time, which the index counts late (no letter to the citizen; a notice to the unit head).
    counted_late_though_served = {
        c
        for c, d in dossiers.items()
        if d["timeliness"] == "late" and c in finished and finished[c] <= _at(d["due_at"])
    }
    on_time = {c for c, d in dossiers.items() if d["timeliness"] in ("early", "on_time")}
    on_time |= counted_late_though_served
    noticed = {n["dossier_id"] for n in notices if n["recipient_role"] == "unit_head"}
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in live:
        cases[case["dossier_id"]].append(case)
    official_late = [
        c
        for c, d in dossiers.items()
        if d["timeliness"] in ("overdue", "late")
        and cause.get(c) == "official_delay"
        and c not in counted_late_though_served
    ]
    reminded = {n["dossier_id"] for n in reminders if n["recipient_role"] == "official"}
    overdue = [c for c, d in dossiers.items() if d["timeliness"] == "overdue"]
    untrue = {
        "letters promising a date already past": [
            c["id"] for c in live if c["new_due_at"] and _at(c["new_due_at"]) <= _at(c["issued_at"])
        ],
        "letters to citizens of dossiers served on time": [
            c["id"] for c in live if c["dossier_id"] in on_time
        ],
        "letters saying 'not returned' of a finished dossier": [
            c["id"]
            for c in live
            if c["ready_at"] is None
            and c["dossier_id"] in finished
            and finished[c["dossier_id"]] <= _at(c["issued_at"])
        ],
        "letters held for a unit missing from the directory": [
            c["id"] for c in letters if c["status"] == "held"
        ],
    }
    owed = {
        "late for the official without exactly one letter case": [
            c for c in official_late if len(cases.get(c, [])) != 1
        ],
        "overdue without a reminder to the official": [c for c in overdue if c not in reminded],
        "counted late though served in time, the unit head not told": [
            c for c in counted_late_though_served if c not in noticed
        ],
    }
    withdrawn_after_sending = sum(
        1 for c in letters if c["status"] == "withdrawn" and c["dossier_id"] in on_time
    )
    print(
        "letters over the replayed month:",
        {
            "cases": len(letters),
            "live": len(live),
            "late for the official": len(official_late),
            "counted late though served in time": len(counted_late_though_served),
            "overdue reminded": len(overdue),
            "withdrawn (on time after all)": withdrawn_after_sending,
        },
    )
    said = {**untrue, **owed}
    assert {k: v for k, v in said.items() if v} == {}
    assert official_late
    assert overdue


def _members(escalation: dict[str, Any]) -> list[str]:
    return list(escalation.get("dossier_ids") or [escalation["dossier_id"]])


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

"""A generated month replayed into the four running services in the portal's own format, as
``DUNGHAN_SAMPLE_FORMAT=dvcqg make run`` sends it, and what the system then says, counted.

The portal format sends each dossier as one object per change, across three endpoints, so a
dossier's history arrives over many requests, with the senders' faults among them (a code
replaced mid-life, statuses rewritten, synthetic finishes). Counted over the month: a dossier
split in two, a reception counted twice, a letter or an escalation said and then withdrawn, a
letter to a citizen of a dossier served on time, a letter that cannot reach its applicant; and,
whole, a letter for every dossier late for its official.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from dunghan_common.calendar import load_calendar
from dunghan_common.units import load_units
from dunghan_province.api import ProvinceApi
from dunghan_province.demo import DemoOptions, settle
from dunghan_province.dvcqg import replay_portal
from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.replay import ReplayTarget
from dunghan_province.sample import previous_month

from tests.e2e.system import ROOT, System
from tests.integration.province.test_replay_summary_report import _sla_dossiers, endpoints

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Said:
    """The month as sent, and what the services say of it once settled."""

    month: SampleMonth
    events: list[dict[str, Any]]
    dossiers: dict[str, dict[str, Any]]
    attributions: dict[str, dict[str, Any]]
    letters: list[dict[str, Any]]
    apologies: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    received: int


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def said(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Said]:
    system = System()
    try:
        await system.start()
        yield await _replayed(system, tmp_path_factory)
    finally:
        await system.stop()


async def _replayed(system: System, tmp: pytest.TempPathFactory) -> Said:
    now = dt.datetime.now(dt.UTC)
    year, month = previous_month(now)
    spec = MonthSpec(year, month, int(now.timestamp()) - 60, volume=300, seed=8)
    sample = SampleMonth(spec, load_calendar(ROOT / "config/calendar"), fates={})
    events = list(sample.events())
    path = tmp.mktemp("dvcqg") / "sample.ndjson"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    names = {u.code: u.name for u in load_units(ROOT / "config/units.toml").units}
    target = ReplayTarget(url=system.url("ingest"), batch_size=500, order="dossier")
    async with httpx.AsyncClient(timeout=60) as client:
        await replay_portal(path, names, target, client)
        api = ProvinceApi(endpoints(system), client)
        options = DemoOptions(
            settle_s=120, poll_s=1, endpoints=endpoints(system), quiet_s=system.quiet_s
        )
        assert await settle(api, spec.period, sample.stats["received"], options)
        codes = sorted({e["subject"] for e in events if e.get("subject")})
        dossiers = {d["dossier_id"]: d for d in await _sla_dossiers(client, system, codes)}
        attributions = {a["dossier_id"]: a for a in await api.attributions(codes)}
        kpis = await api.kpis(spec.period)
        return Said(
            sample,
            events,
            dossiers,
            attributions,
            await api.letters(),
            await api.notifications("apology"),
            await api.escalations(),
            int((kpis.get("province") or {}).get("received") or 0),
        )


async def test_what_the_portal_format_month_makes_the_system_say_is_true_and_whole(
    said: Said,
) -> None:
    received = {e["subject"]: e["data"] for e in said.events if e["type"] == "dossier.received"}
    reachable = {
        c for c, d in received.items() if d["applicant"].get("email") or d["applicant"].get("phone")
    }
    on_time = {c for c, d in said.dossiers.items() if d["timeliness"] in ("early", "on_time")}
    live = [c for c in said.letters if c["status"] in ("issued", "amended", "awaiting_approval")]
    to_applicant = {n["dossier_id"] for n in said.apologies if n["recipient_role"] == "applicant"}
    cause = {c: a["cause"] for c, a in said.attributions.items()}
    official_late = [
        c
        for c, d in said.dossiers.items()
        if d["timeliness"] in ("overdue", "late")
        and cause.get(c) == "official_delay"
        and not (d.get("finished_at") and d["finished_at"] <= d["due_at"])
    ]
    lettered = {c["dossier_id"] for c in live}
    untrue = {
        "receptions counted more than the month has": [said.received - len(received)]
        if said.received != len(received)
        else [],
        "letters said and then withdrawn": [
            c["id"] for c in said.letters if c["status"] == "withdrawn"
        ],
        "escalations said and then withdrawn": [
            e["id"] for e in said.escalations if e["status"] == "withdrawn"
        ],
        "letters to citizens of dossiers served on time": [
            c["id"] for c in live if c["dossier_id"] in on_time
        ],
        "letters that cannot reach an applicant who left an email or a phone": sorted(
            c["dossier_id"]
            for c in live
            if c["dossier_id"] in reachable and c["dossier_id"] not in to_applicant
        ),
    }
    owed = {
        "late for the official without a letter": [c for c in official_late if c not in lettered],
    }
    print(
        "the portal-format month:",
        {
            "received": len(received),
            "letters": len(live),
            "late for the official": len(official_late),
            "escalations": len(said.escalations),
        },
    )
    assert {k: v for k, v in {**untrue, **owed}.items() if v} == {}
    assert official_late
    assert said.escalations

"""The same sample month in both formats gives sla the same counts per unit (docs/dvcqg.md).

The month's CloudEvents are folded by sla's own fold; the same month converted to the portal's
format (with the senders' faults) is translated by ingest's translator, object by object in
sending order, and folded the same way. Per unit: dossiers received, finished, and each
timeliness, at the sample's observation time. Differences that remain by design are listed in
libs/province/README.md."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from dunghan_common.clock import FakeClock
from dunghan_common.events import (
    CloudEvent,
    Contact,
    DossierContact,
    OfficialContact,
    from_kafka,
    to_kafka,
)
from dunghan_common.events.contacts import split_contact
from dunghan_common.units import load_units
from dunghan_province.dvcqg import convert
from dunghan_province.month import MonthSpec
from dunghan_province.sample import calendar, write_sample
from ingest.domain.dvcqg import parse_replies, parse_snapshots, parse_steps
from ingest.domain.dvcqg_translate import Limit
from ingest.dvcqg_catalogue import load_catalogue
from ingest.fakes import in_memory_portal
from sla.adapters.config_files import load_rules
from sla.domain.assess import timeliness
from sla.domain.fold import fold
from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
SOURCE = "igate-quangtri"


@cache
def _cal() -> Any:
    return calendar(ROOT / "config/calendar")


def _slim(event: CloudEvent) -> DossierEvent:
    public, _ = split_contact(event)
    on_topic = from_kafka(*to_kafka(public)[:2], to_kafka(public).headers)
    assert on_topic.subject is not None
    return DossierEvent(
        source=on_topic.source,
        event_id=on_topic.id,
        dossier_id=on_topic.subject,
        type=on_topic.type,
        time=on_topic.time,
        data=slim_data(on_topic.type, on_topic.data),
    )


def _counts(per_dossier: dict[str, list[DossierEvent]]) -> Counter[tuple[str, str]]:
    rules = load_rules(ROOT / "config/sla")
    counts: Counter[tuple[str, str]] = Counter()
    for code, events in per_dossier.items():
        state = fold(code, events, rules, _cal())
        if state.received_at is None:
            continue
        unit = state.unit_code or "?"
        counts[(unit, "received")] += 1
        if state.finished_at is not None:
            counts[(unit, "finished")] += 1
        counts[(unit, str(timeliness(state, AS_OF)))] += 1
    return counts


def _cloudevents(lines: list[bytes]) -> dict[str, list[DossierEvent]]:
    from dunghan_common.events import parse_events

    events, errors = parse_events([orjson.loads(line) for line in lines])
    assert not errors
    out: dict[str, list[DossierEvent]] = {}
    for event in events:
        if event.subject is not None and event.type.startswith(("dossier.", "payment.")):
            out.setdefault(event.subject, []).append(_slim(event))
    return out


def _portal(
    lines: list[bytes],
) -> tuple[dict[str, list[CloudEvent]], Counter[str], list[Contact]]:
    """The month converted to the portal's format and sent, object by object in each dossier's
    sending order, through ingest's own use case (`SyncDvcqg`, on in-memory stores): every event
    it publishes, by subject, what it recorded, and the contact records it published."""
    directory = load_units(ROOT / "config/units.toml")
    month = convert(lines, {u.code: u.name for u in directory.units})
    catalogue = load_catalogue(ROOT / "config/ingest/procedures.toml")
    portal = in_memory_portal(FakeClock(AS_OF), catalogue.get, directory.code_by_portal_name)
    sync, store, publisher = portal.sync, portal.store, portal.publisher

    async def send() -> None:
        for sent in month.dossiers:
            for service, obj in sent:
                if service == "replies":
                    replies = parse_replies([obj], "", AS_OF)
                    assert not replies.errors, replies.errors
                    await sync.replies(SOURCE, replies.items)
                    continue
                parse = parse_snapshots if service == "DongBoHoSoMC" else parse_steps
                parsed = parse([obj], "", AS_OF)
                assert not parsed.errors, parsed.errors
                await sync.execute(SOURCE, parsed.items)  # type: ignore[arg-type]

    asyncio.run(send())
    out: dict[str, list[CloudEvent]] = {}
    for event in publisher.published:
        assert event.subject is not None
        out.setdefault(event.subject, []).append(event)
    return out, Counter(kind for _, _, kind in store.records), publisher.contacts


def _dossier_facts(per_subject: dict[str, list[CloudEvent]]) -> dict[str, list[DossierEvent]]:
    return {
        code: [_slim(e) for e in events if e.type.startswith(("dossier.", "payment."))]
        for code, events in per_subject.items()
    }


def test_the_same_month_in_both_formats_gives_the_same_counts_per_unit(tmp_path: Path) -> None:
    spec = MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=400, seed=8)
    path = tmp_path / "month.ndjson"
    write_sample(spec, _cal(), path)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    portal, recorded, _ = _portal(lines)
    assert _counts(_dossier_facts(portal)) == _counts(_cloudevents(lines))
    assert recorded["status_rewritten"] > 0  # the 5→9 rewrite is in the month, as evidence


def test_a_code_replaced_mid_life_stays_one_dossier_with_its_whole_history(
    tmp_path: Path,
) -> None:
    """A sender that replaces a dossier's code after reception names the new code in steps and
    in the portal's answers before the first snapshot linking both codes: counted over a month,
    every dossier is received once, under its first code, with every answer the portal gave."""
    spec = MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=400, seed=8)
    path = tmp_path / "month.ndjson"
    write_sample(spec, _cal(), path)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    portal, recorded, _ = _portal(lines)
    sent = [orjson.loads(line) for line in lines]
    received = Counter(
        e.subject for events in portal.values() for e in events if e.type == "dossier.received"
    )
    truth = {e["subject"] for e in sent if e["type"] == "dossier.received"}
    twice = sorted(code for code, n in received.items() if n > 1)
    strays = sorted(set(received) - truth)
    assert recorded["dossier_code_replaced"] > 0  # the month has replaced codes
    assert (twice, strays) == ([], [])
    assert set(received) == truth
    rules, facts, told = (
        load_rules(ROOT / "config/sla"),
        _dossier_facts(portal),
        _cloudevents(lines),
    )
    left_open = sorted(
        code
        for code, events in facts.items()
        if code in told
        and fold(code, events, rules, _cal()).finished_at is None
        and fold(code, told[code], rules, _cal()).finished_at is not None
    )
    assert left_open == []  # a finished dossier left open would go overdue and be apologised for
    answers = {
        (e.subject, e.type, e.data.status_code)  # type: ignore[union-attr]
        for events in portal.values()
        for e in events
        if e.type.startswith("portal.sync_")
    }
    owed = {
        (e["subject"], e["type"], e["data"]["status_code"])
        for e in sent
        if e["type"].startswith("portal.sync_")
    }
    assert sorted(owed - answers) == []


__all__ = ["Limit"]


def test_a_replaced_code_is_the_senders_own_kind_and_no_two_dossiers_share_one(
    tmp_path: Path,
) -> None:
    """``{unit}-{yyMMdd}-{5 digits}``, as the integrator generates it: over make run's month."""
    spec = MonthSpec(2026, 11, int(AS_OF.timestamp()) + 30 * 86_400, volume=2000, seed=8)
    path = tmp_path / "month.ndjson"
    write_sample(spec, _cal(), path)
    month = convert(path.read_bytes().splitlines(), {})
    pairs = {
        (obj["MaHoSo"], obj["MaHoSoKhac"])
        for sent in month.dossiers
        for service, obj in sent
        if service == "DongBoHoSoMC" and obj.get("MaHoSoKhac")
    }
    assert len(pairs) > 20
    assert len({new for new, _ in pairs}) == len(pairs)
    for new, old in pairs:
        unit, day, digits = new.split("-")
        assert (unit, day) == tuple(old.split("-")[:2])
        assert len(digits) == 5


def test_every_dossier_s_contact_record_stays_its_applicant_s(tmp_path: Path) -> None:
    """``dossier-contacts`` keeps the last record of each key: the record keyed by a dossier's
    code must be its applicant's after every step that assigned an official (whose record is
    keyed by the pseudonym), or letters would be addressed to the official and reach no one."""
    spec = MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=400, seed=8)
    path = tmp_path / "month.ndjson"
    write_sample(spec, _cal(), path)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    _, _, contacts = _portal(lines)
    kept = {c.key(): c for c in contacts}  # what compaction keeps
    sent = [orjson.loads(line) for line in lines]
    applicants = {
        e["subject"]: e["data"]["applicant"] for e in sent if e["type"] == "dossier.received"
    }
    wrong = sorted(
        code
        for code, applicant in applicants.items()
        if not isinstance(kept.get(code), DossierContact)
        or (kept[code].name, kept[code].email) != (applicant["name"], applicant.get("email"))
    )
    assert wrong == []
    officials = [c for c in contacts if isinstance(c, OfficialContact)]
    assert officials
    assert all(c.official_id.startswith("dvcqg-") and c.email is None for c in officials)

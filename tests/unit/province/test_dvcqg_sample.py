"""The same sample month in both formats gives sla the same counts per unit (docs/dvcqg.md).

The month's CloudEvents are folded by sla's own fold; the same month converted to the portal's
format (with the senders' faults) is translated by ingest's translator, object by object in
sending order, and folded the same way. Per unit: dossiers received, finished, and each
timeliness, at the sample's observation time. Differences that remain by design are listed in
libs/province/README.md."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from dunghan_common.events import CloudEvent, from_kafka, to_kafka
from dunghan_common.events.contacts import split_contact
from dunghan_common.units import load_units
from dunghan_province.dvcqg import convert
from dunghan_province.month import MonthSpec
from dunghan_province.sample import calendar, write_sample
from ingest.domain.dvcqg import parse_snapshots, parse_steps
from ingest.domain.dvcqg_translate import Context, Held, Limit, translate_snapshot, translate_step
from ingest.dvcqg_catalogue import load_catalogue
from sla.adapters.config_files import load_rules
from sla.domain.assess import timeliness
from sla.domain.fold import fold
from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


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


def _portal(lines: list[bytes]) -> tuple[dict[str, list[DossierEvent]], Counter[str]]:
    directory = load_units(ROOT / "config/units.toml")
    names = {u.code: u.name for u in directory.units}
    month = convert(lines, names)
    catalogue = load_catalogue(ROOT / "config/ingest/procedures.toml")

    def unit(name: str) -> str | None:
        entry = directory.by_portal_name(name)
        return entry.code if entry is not None else None

    ctx = Context("igate-quangtri", AS_OF, catalogue.get, unit, b"k")
    held: dict[str, Held] = {}
    aliases: dict[str, str] = {}
    out: dict[str, list[DossierEvent]] = {}
    recorded: Counter[str] = Counter()
    seen: set[str] = set()
    for sent in month.dossiers:
        for service, obj in sent:
            if service == "replies":
                continue
            parse = parse_snapshots if service == "DongBoHoSoMC" else parse_steps
            parsed = parse([obj], "", AS_OF)
            assert not parsed.errors, parsed.errors
            (item,) = parsed.items
            code = aliases.get(item.code, item.code)
            other = getattr(item, "other_code", None)
            if other and other in held:
                code = aliases.setdefault(item.code, other)
            if service == "DongBoHoSoMC":
                t = translate_snapshot(held.get(code), item, code, ctx)  # type: ignore[arg-type]
            else:
                t = translate_step(held.get(code), item, code, ctx)  # type: ignore[arg-type]
            held[code] = t.held
            recorded.update(t.recorded)
            for event in t.events:
                if event.id not in seen and event.type.startswith(("dossier.", "payment.")):
                    seen.add(event.id)
                    out.setdefault(code, []).append(_slim(event))
    return out, recorded


def test_the_same_month_in_both_formats_gives_the_same_counts_per_unit(tmp_path: Path) -> None:
    spec = MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=400, seed=8)
    path = tmp_path / "month.ndjson"
    write_sample(spec, _cal(), path)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    portal, recorded = _portal(lines)
    assert _counts(portal) == _counts(_cloudevents(lines))
    assert recorded["status_rewritten"] > 0  # the 5→9 rewrite is in the month, as evidence


__all__ = ["Limit"]

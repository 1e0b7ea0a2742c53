"""The sample province generator: deterministic, valid events, realistic shares, sla's clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.events import parse_events
from dunghan_province.fate import Fate
from dunghan_province.month import MonthSpec, SampleMonth
from dunghan_province.sample import previous_month, read_stats, write_sample
from sla.adapters.config_files import load_rules
from sla.domain.assess import timeliness
from sla.domain.fold import fold
from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
VOLUME = 4000


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    return load_calendar(ROOT / "config/calendar")


def spec(volume: int = VOLUME, seed: int = 8) -> MonthSpec:
    return MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=volume, seed=seed)


@pytest.fixture(scope="module")
def month(cal: BusinessCalendar) -> tuple[SampleMonth, list[dict[str, Any]]]:
    sample = SampleMonth(spec(), cal, fates={})
    return sample, list(sample.events())


def test_same_seed_same_events_and_another_seed_others(cal: BusinessCalendar) -> None:
    first = list(SampleMonth(spec(300), cal).events())
    again = list(SampleMonth(spec(300), cal).events())
    other = list(SampleMonth(spec(300, seed=9), cal).events())
    assert first == again
    assert first != other


def test_a_larger_volume_of_the_same_seed_extends_the_smaller_one(cal: BusinessCalendar) -> None:
    small = {orjson.dumps(e) for e in SampleMonth(spec(300), cal).events()}
    large = {orjson.dumps(e) for e in SampleMonth(spec(600), cal).events()}
    assert small < large  # replaying both into one stack never mixes two stories of a dossier


def test_every_event_of_a_month_passes_the_contract(month: Any) -> None:
    _, events = month
    valid, errors = parse_events(events)
    assert errors == []
    assert len(valid) == len(events)


def test_every_pushed_event_type_appears(month: Any) -> None:
    from dunghan_common.events import EXAMPLES

    _, events = month
    assert {e["type"] for e in events} == set(EXAMPLES)


def test_event_ids_are_unique_except_deliberate_resends(month: Any) -> None:
    _sample, events = month
    by_id: dict[str, dict[str, Any]] = {}
    resent = 0
    for event in events:
        if event["id"] in by_id:
            assert by_id[event["id"]] == event  # a resend is the very same event
            resent += 1
        by_id[event["id"]] = event
    assert 0 < resent < 0.02 * len(events)


def test_times_are_in_the_past_and_receptions_in_the_month(month: Any) -> None:
    _, events = month
    times = [dt.datetime.fromisoformat(e["time"]) for e in events]
    assert max(times) <= AS_OF
    received = [
        dt.datetime.fromisoformat(e["time"]) for e in events if e["type"] == "dossier.received"
    ]
    assert {(t.year, t.month) for t in received} == {(2026, 10)}


def test_realised_shares_are_near_the_configured_ones(month: Any) -> None:
    sample, _ = month
    s, n = sample.stats, sample.stats["dossiers"]
    assert n == VOLUME
    assert 0.62 < s["online"] / n < 0.80  # procedure mix of online shares, about 70%
    assert 0.010 < s["refused"] / s["online"] < 0.035
    assert 0.02 < s["late"] / n < 0.05  # 2.5% plus the outage's victims
    assert 0.06 < s["supplement"] / n < 0.10
    assert 0.003 < s["unsynced"] / n < 0.02
    assert s["stuck"] > 0
    assert s["mismatch"] > 0
    assert s["system_error"] > 0
    assert s["final_sync_lost"] > 0
    assert s["final_sync_late"] > 0


def _sla_states(events: list[dict[str, Any]], cal: BusinessCalendar) -> dict[str, Any]:
    """Fold each dossier's events with sla's own domain code."""
    valid, _ = parse_events(events)
    per_dossier: dict[str, list[DossierEvent]] = defaultdict(list)
    for e in valid:
        if e.subject is None:
            continue
        data = slim_data(e.type, e.data)
        per_dossier[e.subject].append(DossierEvent(e.source, e.id, e.subject, e.type, e.time, data))
    rules = load_rules(ROOT / "config/sla")
    return {code: fold(code, evs, rules, cal) for code, evs in per_dossier.items()}


def _expected(fate: Fate) -> set[str]:
    if fate.ending == "finished":
        late = fate.late or fate.mismatch or fate.supplements > 1
        return {"late"} if late else {"early", "on_time"}
    if fate.ending == "stuck":
        return {"overdue", "within_time"}
    return {"early", "on_time", "late"}


def test_late_in_the_sample_is_late_by_slas_clock(month: Any, cal: BusinessCalendar) -> None:
    sample, events = month
    states = _sla_states([*events, *sample.stragglers], cal)
    seen: Counter[str] = Counter()
    for code, fate in sample.fates.items():
        state = states[code]
        if fate.ending == "refused" or (state.is_open and fate.ending != "stuck"):
            continue  # refused before reception, or finishing after the observation moment
        judged = timeliness(state, AS_OF)
        assert judged in _expected(fate), (code, fate, state)
        seen[str(judged)] += 1
        if fate.mismatch:
            assert "deadline_mismatch" in state.flags
    assert seen["late"] > 0
    assert seen["overdue"] > 0
    assert seen["early"] > 0
    assert seen["on_time"] > 0


def test_stragglers_overturn_a_late_verdict(month: Any, cal: BusinessCalendar) -> None:
    sample, events = month
    before = _sla_states(events, cal)
    after = _sla_states([*events, *sample.stragglers], cal)
    flipped = [c for c, f in sample.fates.items() if f.late_pause and not after[c].is_open]
    assert flipped
    assert {str(before[c].finished_timeliness) for c in flipped} == {"late"}
    assert {str(after[c].finished_timeliness) for c in flipped} <= {"early", "on_time"}
    kinds = {e["type"] for e in sample.stragglers}
    assert kinds == {"dossier.paused", "dossier.resumed"}


def test_some_dossiers_stay_open_with_due_dates_ahead(month: Any, cal: BusinessCalendar) -> None:
    _, events = month
    states = _sla_states(events, cal)
    ahead = [s for s in states.values() if s.is_open and s.due_at and s.due_at > AS_OF]
    assert ahead


def test_write_sample_writes_ndjson_and_tallies(cal: BusinessCalendar, tmp_path: Path) -> None:
    path = tmp_path / "m.ndjson"
    stats = write_sample(spec(200), cal, path)
    lines = path.read_bytes().splitlines()
    assert len(lines) == stats["events"] > 200
    assert read_stats(path)["dossiers"] == 200


def test_the_default_month_is_the_previous_one() -> None:
    assert previous_month(dt.datetime(2026, 1, 5, tzinfo=dt.UTC)) == (2025, 12)
    # 2026-11-30T20:00Z is already 1 December in Vietnam: November is the previous month.
    assert previous_month(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)) == (2026, 11)

"""A month of the merged Quảng Trị's dossiers as NDJSON CloudEvents, deterministic with a seed.

`SampleMonth(spec, calendar).events()` yields every event in the order the source sends it;
the same spec (seed, volume, month, as_of, shares) always gives the same bytes. Dossiers are
received on the month's working days during office hours; their later events run on past the
month and stop at `as_of` (default now): a dossier still open then stays open in the sample.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any

from dunghan_common.calendar import BusinessCalendar

from dunghan_province.catalogue import LOCAL, PROCEDURES, ProcedureSpec
from dunghan_province.fate import WORKING_DAY, Fate, draw_fate
from dunghan_province.lifecycle import Intake, live
from dunghan_province.people import OFFICIALS_PER_UNIT, official
from dunghan_province.portal_index import PortalTally
from dunghan_province.shares import Shares
from dunghan_province.syncing import Outage, Pusher, Sink
from dunghan_province.timefmt import VN, epoch
from dunghan_province.units import LOCAL_UNITS, SERVICE_CENTRE, UNITS, UNITS_BY_CODE, Unit

DEFAULT_SOURCE = "igate-quangtri"
_LOCAL_PROCS = tuple(p for p in PROCEDURES if p.scope == LOCAL)
_PROVINCIAL_PROCS = tuple(p for p in PROCEDURES if p.scope != LOCAL)
_UNIT_INDEX = {u.code: i for i, u in enumerate(UNITS)}
_LOCAL_UNIT_CUM = tuple(accumulate(u.weight for u in LOCAL_UNITS))
_LOCAL_PROC_CUM = tuple(accumulate(p.weight for p in _LOCAL_PROCS))
_PROVINCIAL_PROC_CUM = tuple(accumulate(p.weight for p in _PROVINCIAL_PROCS))
_LOOKBACK_S = 2 * 86_400  # an online dossier is submitted at most 1.5 days before its reception


@dataclass(frozen=True, slots=True)
class MonthSpec:
    """What to generate: the month, how many dossiers, the seed, and the moment of observation."""

    year: int
    month: int
    as_of: int
    volume: int = 100_000
    seed: int = 8
    source: str = DEFAULT_SOURCE
    shares: Shares = field(default_factory=Shares)

    @property
    def period(self) -> str:
        """`YYYY-MM`, as the query APIs take it."""
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(slots=True)
class SampleMonth:
    """The generator of one month; `stats` is complete once `events()` is exhausted.

    With `fates` set to a dict, each dossier's drawn fate is kept there by code (for tests).
    """

    spec: MonthSpec
    cal: BusinessCalendar
    stats: Counter[str] = field(default_factory=Counter)
    fates: dict[str, Fate] | None = None
    stragglers: list[dict[str, Any]] = field(default_factory=list)
    #: what the national portal counts of the month (its index answer, docs/domain.md §7)
    portal: PortalTally = field(default_factory=PortalTally)

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event of the month, in emission order; the stragglers are kept in
        `stragglers`, to be sent after all of these."""
        rng = random.Random(f"{self.spec.seed}:month")
        sink = Sink(self.spec.shares, self.spec.source, self.spec.as_of)
        days = self.working_days()
        outage = self._outage(rng, days, sink)
        for day, count in zip(days, _spread(self.spec.volume, len(days)), strict=True):
            opening = self.cal.next_opening_epoch(epoch(dt.datetime.combine(day, dt.time(), VN)))
            self._component_error(rng, sink, opening)
            if not self._day(sink, outage, day, opening, count):
                break
            yield from sink.flush(opening + 86_400 - _LOOKBACK_S)
        yield from sink.flush()
        self.stats["events"] = sink.emitted
        self.stragglers = sink.stragglers
        self.stats["stragglers"] = len(sink.stragglers)

    def working_days(self) -> list[dt.date]:
        """The month's working days, by the business calendar."""
        first = dt.date(self.spec.year, self.spec.month, 1)
        days = [first + dt.timedelta(days=n) for n in range(31)]
        return [d for d in days if d.month == first.month and self.cal.is_working_day(d)]

    def _day(self, sink: Sink, outage: Outage, day: dt.date, opening: int, count: int) -> bool:
        """One day's intake; False if a reception lay after `as_of` (later days are skipped).

        The day's own generator draws only the unit and procedure of each dossier, in turn, so a
        larger volume adds dossiers after the same ones; everything else about a dossier comes
        from a generator seeded by its code. Samples of one seed thus agree on every dossier
        they share, whatever their volumes.
        """
        day_rng = random.Random(f"{self.spec.seed}:{day}")
        serials: Counter[str] = Counter()
        complete = True
        for _ in range(count):
            unit, spec = _pick(day_rng, self.spec.shares.local_share)
            serials[unit.code] += 1
            code = f"{unit.code}-{day:%y%m%d}-{serials[unit.code]:04d}"
            rng = random.Random(f"{self.spec.seed}:{code}")
            position = int((WORKING_DAY - 1) * rng.random() ** 1.25)  # mornings are busier
            received = self.cal.add_working_seconds_epoch(opening, position)
            if received > self.spec.as_of:
                complete = False
                continue
            self._dossier(
                rng, sink, outage, Intake(code, unit.code, _UNIT_INDEX[unit.code], spec, received)
            )
        return complete

    def _dossier(self, rng: random.Random, sink: Sink, outage: Outage, intake: Intake) -> None:
        """Draw one dossier's fate and lay out its events."""
        spec, unit = intake.spec, UNITS_BY_CODE[intake.unit_code]
        start = self.cal.clock_start_epoch(intake.received)
        due = self.cal.due_at_epoch(start, spec.limit, spec.unit)
        limit = self.cal.working_seconds_between_epoch(start, due)
        fate = draw_fate(rng, self.spec.shares, spec, limit, unit.is_local, outage.covers(due))
        if fate.transferred:
            intake = replace(intake, transfer_to=rng.choice(LOCAL_UNITS).code)
        shares = self.spec.shares
        pusher = Pusher(
            sink, self.cal, shares, outage, SERVICE_CENTRE, _official(rng), rng, fate.synced
        )
        assignee = official(intake.unit_index, rng.randint(1, OFFICIALS_PER_UNIT))
        live(pusher, intake, fate, rng, assignee)
        self._count(fate)
        self.portal.count(intake.unit_code, fate, due, self.spec.as_of)
        if self.fates is not None:
            self.fates[intake.code] = fate

    def _count(self, fate: Fate) -> None:
        """Tally the fates drawn (the shares actually realised)."""
        self.stats["dossiers"] += 1
        self.stats["received"] += fate.ending != "refused"
        self.stats["online"] += fate.online
        self.stats[fate.ending] += 1
        for name in (
            "late",
            "mismatch",
            "system_error",
            "transferred",
            "financial_pause",
            "late_pause",
        ):
            self.stats[name] += bool(getattr(fate, name))
        self.stats["supplement"] += fate.supplements > 0
        self.stats["supplement_twice"] += fate.supplements > 1
        self.stats["rescheduled"] += fate.reschedules > 0
        self.stats["unsynced"] += not fate.synced
        self.stats[f"final_sync_{fate.final_sync}"] += 1

    def _outage(self, rng: random.Random, days: list[dt.date], sink: Sink) -> Outage:
        """The month's outage of the provincial system, on a working day mid-month."""
        day = rng.choice(days[len(days) // 3 : 2 * len(days) // 3] or days)
        start = epoch(dt.datetime.combine(day, dt.time(7, 30), VN)) + rng.randint(0, 3600)
        end = start + int(self.spec.shares.outage_hours * 3600)
        outage = Outage(start, end, f"outage-{day:%Y-%m-%d}-01")
        data = {"component": outage.component, "outage_id": outage.outage_id}
        sink.add(rng, None, start, "system.outage_started", dict(data), outage.outage_id)
        sink.add(rng, None, end, "system.outage_ended", dict(data), outage.outage_id)
        return outage

    def _component_error(self, rng: random.Random, sink: Sink, opening: int) -> None:
        """A daily error of the sync component that names no dossier."""
        data = {
            "component": "igate-sync",
            "error_code": "E_TIMEOUT",
            "message": "DVCQG không phản hồi",
        }
        at = self.cal.add_working_seconds_epoch(opening, rng.randint(0, WORKING_DAY - 1))
        sink.add(rng, None, at, "system.error", data, f"igate-sync-{opening}")


def _pick(rng: random.Random, local_share: float) -> tuple[Unit, ProcedureSpec]:
    """A unit and one of its procedures, by their weights."""
    if rng.random() < local_share:
        unit = rng.choices(LOCAL_UNITS, cum_weights=_LOCAL_UNIT_CUM)[0]
        return unit, rng.choices(_LOCAL_PROCS, cum_weights=_LOCAL_PROC_CUM)[0]
    spec = rng.choices(_PROVINCIAL_PROCS, cum_weights=_PROVINCIAL_PROC_CUM)[0]
    return UNITS_BY_CODE[spec.scope], spec


def _official(rng: random.Random) -> Any:
    """A picker of an official of a given unit (the one a transfer hands the dossier to)."""
    return lambda code: official(_UNIT_INDEX[code], rng.randint(1, OFFICIALS_PER_UNIT))


def _spread(volume: int, days: int) -> list[int]:
    """`volume` dossiers over `days` working days, as evenly as whole numbers allow."""
    base, extra = divmod(volume, days)
    return [base + (1 if n < extra else 0) for n in range(days)]

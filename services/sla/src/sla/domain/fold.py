"""Fold a dossier's events, in event-time order, into its state (docs/domain.md §3–§4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sla.domain.calendar import WorkingCalendar
from sla.domain.deadline import Interval, derive_deadline
from sla.domain.model import DossierEvent, DossierState, EventKey, Status, order_events
from sla.domain.rules import RuleBook

_STATUS: dict[str, Status] = {
    "dossier.submitted": "submitted",
    "dossier.received": "received",
    "dossier.assigned": "processing",
    "dossier.transferred": "processing",
    "dossier.supplement_requested": "supplement_requested",
    "dossier.supplement_received": "processing",
    "dossier.paused": "paused",
    "dossier.resumed": "processing",
    "dossier.result_ready": "result_ready",
    "dossier.returned": "returned",
    "dossier.refused": "refused",
    "dossier.withdrawn": "withdrawn",
    "dossier.stopped": "stopped",
}
# End of processing: the first result_ready, else returned, else stopped/refused/withdrawn.
_END_RANK = {
    "dossier.result_ready": 0,
    "dossier.returned": 1,
    "dossier.stopped": 2,
    "dossier.refused": 2,
    "dossier.withdrawn": 2,
}
_ONLINE_METHODS = frozenset({"online_national_portal", "online_provincial_gateway"})
Snapshot = dict[str, Any]
"""An accumulator as JSON-able data (times as ISO strings), stored beside the dossier."""
SNAPSHOT_VERSION = 1


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO datetime from slim event data, or None."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass
class _Accumulator:
    """Mutable scratch state of one fold; the result is an immutable ``DossierState``."""

    dossier_id: str
    facts: dict[str, Any] = field(default_factory=dict)
    status: Status | None = None
    received: DossierEvent | None = None
    intervals: list[Interval] = field(default_factory=list)
    open_kinds: dict[str, int] = field(default_factory=dict)
    supplements: int = 0
    reschedules: int = 0
    end: tuple[int, dt.datetime, str] | None = None
    flags: dict[str, dt.datetime] = field(default_factory=dict)
    count: int = 0
    last: EventKey | None = None

    def apply(self, e: DossierEvent) -> None:
        """Take one event into account (events come in event-time order)."""
        self.count += 1
        self.last = e.key
        self.status = _STATUS.get(e.type, self.status)
        handler = _HANDLERS.get(e.type)
        if handler is not None:
            handler(self, e)
        for flag in e.flags:  # what the portal format's translation guessed
            self.flags.setdefault(flag, e.time)
        rank = _END_RANK.get(e.type)
        if rank is not None and (self.end is None or rank < self.end[0]):
            self.end = (rank, e.time, e.type)

    def open_interval(self, kind: str, at: dt.datetime) -> None:
        """Stop the clock unless an interval of this kind is already open."""
        if kind not in self.open_kinds:
            self.open_kinds[kind] = len(self.intervals)
            self.intervals.append(Interval(kind=kind, start=at, end=None))

    def close_interval(self, kind: str, at: dt.datetime) -> None:
        """Run the clock again; a close without an open is ignored."""
        index = self.open_kinds.pop(kind, None)
        if index is not None:
            opened = self.intervals[index]
            self.intervals[index] = Interval(kind=opened.kind, start=opened.start, end=at)


def _received(acc: _Accumulator, e: DossierEvent) -> None:
    if acc.received is None:  # a re-sent reception does not move the clock start
        acc.received = e
        acc.facts.update(e.data)


def _submitted(acc: _Accumulator, e: DossierEvent) -> None:
    acc.facts.setdefault("channel", e.data.get("channel"))
    acc.facts.setdefault("procedure_code", e.data.get("procedure_code"))


def _assigned(acc: _Accumulator, e: DossierEvent) -> None:
    acc.facts["assignee_id"] = e.data.get("assignee_id")
    if e.data.get("unit_code"):
        acc.facts["transfer_unit_code"] = e.data["unit_code"]


def _transferred(acc: _Accumulator, e: DossierEvent) -> None:
    acc.facts["transfer_unit_code"] = e.data.get("to_unit_code")


def _supplement_requested(acc: _Accumulator, e: DossierEvent) -> None:
    acc.supplements += 1
    if acc.supplements == 2:
        acc.flags.setdefault("supplement_requested_twice", e.time)
    acc.open_interval("supplement", e.time)


def _rescheduled(acc: _Accumulator, e: DossierEvent) -> None:
    acc.reschedules += 1
    if acc.reschedules == 1:
        acc.facts["promised_due_at"] = e.data.get("new_due_at")
    elif acc.reschedules == 2:
        acc.flags.setdefault("rescheduled_twice", e.time)


def _payment(acc: _Accumulator, e: DossierEvent) -> None:
    if e.data.get("method") in _ONLINE_METHODS:
        acc.facts["paid_online"] = True


def _mark(name: str) -> Any:
    def handler(acc: _Accumulator, e: DossierEvent) -> None:
        acc.facts[name] = True

    return handler


_HANDLERS: dict[str, Any] = {
    "dossier.received": _received,
    "dossier.submitted": _submitted,
    "dossier.assigned": _assigned,
    "dossier.transferred": _transferred,
    "dossier.supplement_requested": _supplement_requested,
    "dossier.supplement_received": lambda acc, e: acc.close_interval("supplement", e.time),
    "dossier.paused": lambda acc, e: acc.open_interval("pause", e.time),
    "dossier.resumed": lambda acc, e: acc.close_interval("pause", e.time),
    "dossier.rescheduled": _rescheduled,
    "payment.completed": _payment,
    "dossier.result_digitized": _mark("digitized"),
    "portal.sync_succeeded": _mark("synced"),
}


def fold(
    dossier_id: str,
    events: Iterable[DossierEvent],
    rules: RuleBook,
    calendar: WorkingCalendar,
) -> DossierState:
    """The state of a dossier from all its events, whatever order or duplicates they came in."""
    return fold_from(None, dossier_id, events, rules, calendar).state


@dataclass(frozen=True)
class Folded:
    """A fold's result: the state, and the snapshot to continue the fold from later."""

    state: DossierState
    snapshot: Snapshot
    last: EventKey | None


def fold_from(
    snapshot: Snapshot | None,
    dossier_id: str,
    events: Iterable[DossierEvent],
    rules: RuleBook,
    calendar: WorkingCalendar,
) -> Folded:
    """Continue a fold from ``snapshot`` (None: from nothing) with ``events``.

    The caller guarantees every event sorts after the snapshot's last one (``Folded.last``):
    then this equals the fold of all the events (the append fast path). Earlier events need
    the full history folded again.
    """
    acc = _Accumulator(dossier_id) if snapshot is None else restore(dossier_id, snapshot)
    for event in order_events(events):
        acc.apply(event)
    return Folded(_state(acc, rules, calendar), take_snapshot(acc), acc.last)


def _state(acc: _Accumulator, rules: RuleBook, calendar: WorkingCalendar) -> DossierState:
    f = acc.facts
    end_at, end_type = (acc.end[1], acc.end[2]) if acc.end is not None else (None, None)
    base = DossierState(
        dossier_id=acc.dossier_id,
        status=acc.status,
        unit_code=f.get("transfer_unit_code") or f.get("unit_code"),
        receiving_unit_code=f.get("receiving_unit_code"),
        procedure_code=f.get("procedure_code"),
        procedure_name=f.get("procedure_name"),
        channel=f.get("channel"),
        assignee_id=f.get("assignee_id"),
        fee_required=bool(f.get("fee_required", False)),
        e_result_required=bool(f.get("e_result_required", True)),
        promised_due_at=parse_time(f.get("promised_due_at")),
        finished_at=end_at,
        end_event=end_type,
        clock_state="stopped" if end_at is not None else "running",
        flags=dict(acc.flags),
        paid_online=bool(f.get("paid_online")),
        digitized=bool(f.get("digitized")),
        synced=bool(f.get("synced")),
        event_count=acc.count,
        last_event_at=acc.last[0] if acc.last is not None else None,
    )
    if acc.received is None:
        return base
    return derive_deadline(base, acc.received, acc.intervals, rules, calendar)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def take_snapshot(acc: _Accumulator) -> Snapshot:
    """Everything the fold needs to go on later, as JSON-able data."""
    r = acc.received
    return {
        "v": SNAPSHOT_VERSION,
        "facts": acc.facts,
        "status": acc.status,
        "received": None if r is None else [r.source, r.event_id, r.type, _iso(r.time), r.data],
        "intervals": [[i.kind, _iso(i.start), _iso(i.end)] for i in acc.intervals],
        "open": acc.open_kinds,
        "supplements": acc.supplements,
        "reschedules": acc.reschedules,
        "end": None if acc.end is None else [acc.end[0], _iso(acc.end[1]), acc.end[2]],
        "flags": {name: _iso(at) for name, at in acc.flags.items()},
        "count": acc.count,
        "last": None if acc.last is None else [_iso(acc.last[0]), acc.last[1], acc.last[2]],
    }


def restore(dossier_id: str, snap: Snapshot) -> _Accumulator:
    """The accumulator a snapshot was taken of; ValueError if it is of another version."""
    if snap.get("v") != SNAPSHOT_VERSION:
        raise ValueError("fold snapshot of another version: fold the history again")
    acc = _Accumulator(dossier_id, facts=dict(snap["facts"]), status=snap["status"])
    if snap["received"] is not None:
        source, event_id, type_, time, data = snap["received"]
        acc.received = DossierEvent(source, event_id, dossier_id, type_, _at(time), data)
    acc.intervals = [Interval(kind=k, start=_at(a), end=_time(b)) for k, a, b in snap["intervals"]]
    acc.open_kinds = dict(snap["open"])
    acc.supplements, acc.reschedules = snap["supplements"], snap["reschedules"]
    if snap["end"] is not None:
        rank, time, type_ = snap["end"]
        acc.end = (rank, _at(time), type_)
    acc.flags = {name: _at(at) for name, at in snap["flags"].items()}
    acc.count = snap["count"]
    if snap["last"] is not None:
        time, source, event_id = snap["last"]
        acc.last = (_at(time), source, event_id)
    return acc


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def snapshot_last(snap: Snapshot) -> EventKey | None:
    """The order key of the last event folded into a snapshot."""
    last = snap.get("last")
    if last is None:
        return None
    return (_at(last[0]), last[1], last[2])

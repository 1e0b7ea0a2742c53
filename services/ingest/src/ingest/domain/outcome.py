"""What a request earned, and the duplicates found inside one request."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dunghan_common.events import CloudEvent, EventError
from dunghan_common.events.window import window_problem


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The 202 body: events newly accepted, and events already accepted before (or repeated)."""

    accepted: int
    duplicates: int
    accepted_types: Counter[str] = field(default_factory=Counter)
    duplicate_types: Counter[str] = field(default_factory=Counter)


def count_types(events: Iterable[CloudEvent]) -> Counter[str]:
    """How many events of each type (bounded: the contract's types)."""
    return Counter(e.type for e in events)


def first_of_each_id(events: Sequence[CloudEvent]) -> tuple[list[CloudEvent], int]:
    """Keep the first event of each id in order; return them and how many repeats were dropped."""
    if len({e.id for e in events}) == len(events):
        return list(events), 0  # the usual case, without the per-event bookkeeping
    seen: set[str] = set()
    kept: list[CloudEvent] = []
    for event in events:
        if event.id not in seen:
            seen.add(event.id)
            kept.append(event)
    return kept, len(events) - len(kept)


def foreign_sources(raw: Sequence[object], source: str) -> list[int]:
    """Indexes of raw events naming a ``source`` other than the key's (403)."""
    return [
        i
        for i, item in enumerate(raw)
        if isinstance(item, dict)
        and isinstance(item.get("source"), str)
        and item["source"] != source
    ]


def outside_window(
    events: Sequence[CloudEvent], now: dt.datetime, margin: dt.timedelta
) -> list[EventError]:
    """An error naming ``time`` for every event dated before 2018 or too far ahead of ``now``."""
    errors = []
    for index, event in enumerate(events):
        problem = window_problem(event.time, now, margin)
        if problem is not None:
            errors.append(EventError(index=index, field="time", message=problem))
    return errors

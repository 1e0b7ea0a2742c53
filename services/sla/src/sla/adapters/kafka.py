"""The `dossier-events` consumer handler: decode (fast, strict), slim, hand to ``ProjectBatch``
with how far the batch goes in each partition (for the timers' event-time watermark)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence

from dunghan_common.clock import Clock
from dunghan_common.events import EventValidationError
from dunghan_common.events.fast import TopicEvent, decode_topic_event
from dunghan_common.events.window import in_window
from dunghan_common.kafka import PoisonMessageError
from dunghan_common.kafka.consumer import Record

from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data
from sla.domain.watermark import PartitionProgress

Project = Callable[[Sequence[DossierEvent], Sequence[PartitionProgress]], Awaitable[object]]


def decode(record: Record) -> TopicEvent:
    """The record's event; an invalid one is poison (dead-lettered by the consumer)."""
    try:
        return decode_topic_event(record.value, record.headers or [])
    except EventValidationError as exc:
        raise PoisonMessageError(str(exc)) from exc


def to_dossier_event(record: Record) -> DossierEvent | None:
    """The slim event of a record; None for events about no dossier (system-wide ones)."""
    return slim_event(decode(record))


def slim_event(event: TopicEvent) -> DossierEvent | None:
    """The slim event of a decoded one; None for events about no dossier."""
    if event.subject is None:
        return None
    return DossierEvent(
        source=event.source,
        event_id=event.id,
        dossier_id=event.subject,
        type=event.type,
        time=event.time,
        data=slim_data(event.type, event.data),
        flags=event.flags,
    )


def batch_progress(
    records: Sequence[Record], times: Sequence[dt.datetime | None]
) -> list[PartitionProgress]:
    """Per partition of the batch: the next offset to apply and the greatest event time, over
    every record (system-wide events included: they are applied too, as nothing). A time of
    None (an event dated outside the accepted window) moves the offset, never the time."""
    seen: dict[tuple[str, int], tuple[int, dt.datetime | None]] = {}
    for record, time in zip(records, times, strict=True):
        key = (record.topic, record.partition)
        offset, newest = seen.get(key, (record.offset + 1, time))
        later = [t for t in (newest, time) if t is not None]
        seen[key] = (max(offset, record.offset + 1), max(later) if later else None)
    return [PartitionProgress(t, p, offset, newest) for (t, p), (offset, newest) in seen.items()]


def batch_handler(
    project: Project, clock: Clock, future_margin: dt.timedelta
) -> Callable[[Sequence[Record]], Awaitable[None]]:
    """A ``BatchConsumer`` handler projecting every decodable record of the batch."""

    async def handle(records: Sequence[Record]) -> None:
        decoded = [decode(r) for r in records]
        events = [e for e in map(slim_event, decoded) if e is not None]
        now = clock.now()
        times = [e.time if in_window(e.time, now, future_margin) else None for e in decoded]
        await project(events, batch_progress(records, times))

    return handle

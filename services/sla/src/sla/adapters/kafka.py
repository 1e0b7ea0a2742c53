"""The `dossier-events` consumer handler: decode (fast, strict), slim, hand to ``ProjectBatch``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from dunghan_common.events import EventValidationError
from dunghan_common.events.fast import decode_topic_event
from dunghan_common.kafka import PoisonMessageError
from dunghan_common.kafka.consumer import Record

from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data


def to_dossier_event(record: Record) -> DossierEvent | None:
    """The slim event of a record; None for events about no dossier (system-wide ones)."""
    try:
        event = decode_topic_event(record.value, record.headers or [])
    except EventValidationError as exc:
        raise PoisonMessageError(str(exc)) from exc
    if event.subject is None:
        return None
    return DossierEvent(
        source=event.source,
        event_id=event.id,
        dossier_id=event.subject,
        type=event.type,
        time=event.time,
        data=slim_data(event.type, event.data),
    )


def batch_handler(
    project: Callable[[Sequence[DossierEvent]], Awaitable[object]],
) -> Callable[[Sequence[Record]], Awaitable[None]]:
    """A ``BatchConsumer`` handler projecting every decodable record of the batch."""

    async def handle(records: Sequence[Record]) -> None:
        events = [e for e in map(to_dossier_event, records) if e is not None]
        await project(events)

    return handle

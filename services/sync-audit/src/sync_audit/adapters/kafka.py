"""The consumer handler: decode `dossier-events` and `sla-alerts` records, call one use-case."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from dunghan_common.events import EventValidationError, decode_event, from_kafka
from dunghan_common.events import event_types as t
from dunghan_common.kafka import PoisonMessageError
from dunghan_common.kafka.consumer import Record

from sync_audit.domain.model import Observation, OutageWindow

log = logging.getLogger(__name__)
RecordBatch = Callable[[Sequence[Observation], Sequence[OutageWindow]], Awaitable[object]]
#: Dossier event types the audit keeps: the status history, the portal's view, software errors.
_KEPT_PREFIXES = ("dossier.", "portal.")


class AuditHandler:
    """Translates records into observations and outage events for `RecordEvidence`."""

    def __init__(self, record: RecordBatch, sla_alerts_topic: str) -> None:
        self._record = record
        self._sla_topic = sla_alerts_topic

    async def __call__(self, records: Sequence[Record]) -> None:
        """Decode the batch (poison records raise) and apply it in one transaction."""
        observations: list[Observation] = []
        outages: list[OutageWindow] = []
        for r in records:
            try:
                if r.topic == self._sla_topic:
                    observations.append(_from_alert(r))
                else:
                    _from_dossier_event(r, observations, outages)
            except (EventValidationError, KeyError, ValueError) as exc:
                raise PoisonMessageError(f"undecodable record: {exc}") from exc
        await self._record(observations, outages)


def _from_alert(r: Record) -> Observation:
    event = decode_event(r.value, r.headers or [])
    return Observation(
        event_key=f"{event.source}/{event.id}",
        dossier_id=event.subject,
        type=event.type,
        time=event.time,
        data=dict(event.data),
    )


def _from_dossier_event(
    r: Record, observations: list[Observation], outages: list[OutageWindow]
) -> None:
    # `from_kafka`, not the "fast" path sla uses: measured no cheaper here (bench row A6).
    event = from_kafka(r.key, r.value, r.headers or [])
    data = event.data.model_dump(mode="json")
    if isinstance(data.get("assignee"), dict):
        # Only the official's id is needed; names and emails are personal data not kept here.
        data["assignee"] = {"id": data["assignee"]["id"]}
    if event.type in (t.SYSTEM_OUTAGE_STARTED, t.SYSTEM_OUTAGE_ENDED):
        started = event.type == t.SYSTEM_OUTAGE_STARTED
        outages.append(
            OutageWindow(
                outage_id=data["outage_id"],
                component=data["component"],
                started_at=event.time if started else None,
                ended_at=None if started else event.time,
            )
        )
        return
    keep = event.type.startswith(_KEPT_PREFIXES) or event.type == t.SYSTEM_ERROR
    if not keep or event.subject is None:
        return  # payments and dossier-less errors say nothing about attribution
    observations.append(
        Observation(
            event_key=f"{event.source}/{event.id}",
            dossier_id=event.subject,
            type=event.type,
            time=event.time,
            data=data,
        )
    )

"""CloudEvents for the SLA integration tests, encoded as ingest puts them on `dossier-events`."""

from __future__ import annotations

import itertools
from typing import Any

from dunghan_common.events import parse_event, to_kafka
from dunghan_common.kafka import OutgoingRecord
from sla.domain.model import DossierEvent
from sla.domain.slim import slim_data

_ids = itertools.count(1)
UNIT = "000.00.12.H50"


def cloud_event(dossier: str, type_: str, time: str, data: dict[str, Any]) -> dict[str, Any]:
    """A structured-mode event (time in local +07:00)."""
    return {
        "specversion": "1.0",
        "id": f"it-{next(_ids)}",
        "source": "igate-quangtri",
        "type": type_ if "." in type_ else f"dossier.{type_}",
        "time": f"{time}:00+07:00".replace(" ", "T"),
        "subject": dossier,
        "data": data,
    }


def received(dossier: str, time: str, days: int = 1, **extra: Any) -> dict[str, Any]:
    """A reception with a time limit in working days."""
    data = {
        "unit_code": UNIT,
        "procedure": {"code": "1.004227", "name": "Cấp giấy phép xây dựng"},
        "time_limit": {"value": days, "unit": "working_days"},
        "channel": "online",
        "fee_required": True,
        **extra,
    }
    return cloud_event(dossier, "received", time, data)


def record(topic: str, event: dict[str, Any]) -> OutgoingRecord:
    """The Kafka record of an event, validated like ingest does."""
    message = to_kafka(parse_event(event, form="topic"))
    return OutgoingRecord(topic, message.value, message.key, message.headers)


def slim(events: list[dict[str, Any]]) -> list[DossierEvent]:
    """The slim events the projector stores, decoded like the consumer does."""
    out = []
    for raw in events:
        event = parse_event(raw, form="topic")
        assert event.subject is not None
        out.append(
            DossierEvent(
                source=event.source,
                event_id=event.id,
                dossier_id=event.subject,
                type=event.type,
                time=event.time,
                data=slim_data(event.type, event.data),
            )
        )
    return out

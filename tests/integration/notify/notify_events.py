"""Builders of the messages notify reads, encoded as the producers encode them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from dunghan_common.events import (
    DossierContact,
    encode_contact,
    encode_event,
    parse_event,
    to_kafka,
)
from dunghan_common.events.findings import DossierFacts
from dunghan_common.kafka import OutgoingRecord
from notify.domain.models import Facts

UNIT = "000.00.12.H50"


def facts(due: datetime, received: datetime, assignee: str | None = "cb-1024") -> DossierFacts:
    """Facts of a dossier of the configured unit."""
    return DossierFacts(
        unit_code=UNIT,
        procedure_code="1.004227",
        procedure_name="Cấp giấy phép xây dựng",
        received_at=received,
        due_at=due,
        assignee_id=assignee,
    )


def notify_facts(dossier: str, received: datetime, due: datetime, **extra: Any) -> Facts:
    """Notify's own facts of a dossier of the configured unit (``extra`` overrides fields)."""
    fields: dict[str, Any] = {
        "dossier_id": dossier,
        "unit_code": UNIT,
        "procedure_code": "1.004227",
        "procedure_name": "Cấp giấy phép xây dựng",
        "received_at": received,
        "due_at": due,
        "assignee_id": "cb-1024",
    }
    return Facts(**{**fields, **extra})


def alert(
    topic: str,
    kind: str,
    dossier: str,
    data: dict[str, Any],
    at: datetime,
    event_id: str | None = None,
) -> OutgoingRecord:
    """An `sla.*` or `audit.*` event."""
    msg = encode_event(
        kind, dossier, data, event_id=event_id or uuid.uuid4().hex, source="test", time=at
    )
    return OutgoingRecord(topic, msg.value, msg.key, msg.headers)


def contact(topic: str, dossier: str, at: datetime) -> OutgoingRecord:
    """An applicant contact with email and phone."""
    msg = encode_contact(
        DossierContact(
            dossier_code=dossier,
            kind="citizen",
            name="Nguyễn Văn An",
            email="an@example.vn",
            phone="0912345678",
            event_id=uuid.uuid4().hex,
            source="igate-quangtri",
            time=at,
        )
    )
    return OutgoingRecord(topic, msg.value, msg.key, msg.headers)


def dossier_event(
    topic: str, kind: str, dossier: str, data: dict[str, Any], at: datetime
) -> OutgoingRecord:
    """A `dossier.*` event in its topic form."""
    event = parse_event(
        {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "igate-quangtri",
            "type": kind,
            "subject": dossier,
            "time": at.isoformat(),
            "data": data,
        },
        form="topic",
    )
    msg = to_kafka(event)
    return OutgoingRecord(topic, msg.value, msg.key, msg.headers)

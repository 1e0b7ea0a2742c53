"""The consumer handler: decode each record by topic, validate, and hand the batch to intake.

Notify reads `sla-alerts`, `audit-findings`, `dossier-contacts` and, as an extension of what the
contract lists, `dossier-events` for `dossier.received` (facts) and `dossier.rescheduled` (letters);
other event types there are skipped on their `ce_type` header, before any decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dunghan_common.events import (
    DossierReceived,
    DossierRescheduled,
    EventValidationError,
    decode_contact,
    decode_event,
    from_kafka,
)
from dunghan_common.events import event_types as t
from dunghan_common.events.contacts import OFFICIAL_KEY_PREFIX, OfficialContact
from dunghan_common.events.findings import (
    ALERT_MODELS,
    ApologyWindowOpened,
    BreachAttributed,
    DeadlineBreached,
    DossierFacts,
    EscalationOpened,
    Finished,
    FinishedLate,
)
from dunghan_common.kafka import PoisonMessageError
from dunghan_common.kafka.consumer import Record
from pydantic import ValidationError

from notify.domain.letters import should_apologise
from notify.domain.models import Cause, Facts
from notify.usecases import commands as c
from notify.usecases.intake import Intake

_WANTED_EVENTS = frozenset({t.DOSSIER_RECEIVED.encode(), t.DOSSIER_RESCHEDULED.encode()})


@dataclass(frozen=True)
class TopicNames:
    """The topics notify reads (settings, so tests can use fresh ones)."""

    alerts: str
    findings: str
    contacts: str
    events: str

    def all(self) -> list[str]:
        """Every topic, for the consumer."""
        return [self.alerts, self.findings, self.contacts, self.events]


class NotifyHandler:
    """Batch handler for ``BatchConsumer``."""

    def __init__(self, topics: TopicNames, intake: Intake) -> None:
        self._topics, self._intake = topics, intake

    async def __call__(self, records: Sequence[Record]) -> None:
        """Decode the batch (poison → DLQ) and apply it in one transaction."""
        commands = [cmd for r in records if (cmd := self.decode(r)) is not None]
        if commands:
            await self._intake.apply(commands)

    def decode(self, record: Record) -> c.Command | None:
        """One record as a command, None when notify has nothing to do with it."""
        try:
            if record.topic == self._topics.contacts:
                return _contact(record)
            if record.topic == self._topics.events:
                return _dossier_event(record)
            return _alert(record)
        except (EventValidationError, ValidationError, ValueError, KeyError) as exc:
            raise PoisonMessageError(f"{type(exc).__name__}: {str(exc)[:300]}") from exc


def _contact(record: Record) -> c.Command | None:
    key = (record.key or b"").decode()
    if record.value is None:  # an official's tombstone: notify's retention decides for them
        return None if key.startswith(OFFICIAL_KEY_PREFIX) else c.ContactDeleted(key)
    contact = decode_contact(record.value)
    if isinstance(contact, OfficialContact):
        if contact.email is None:  # a name alone reaches nobody: not kept (§9)
            return None
        official = {"name": contact.name, "email": contact.email}
        return c.OfficialContactReceived(
            contact.dossier_code, contact.official_id, official, contact.time
        )
    fields = {"kind": contact.kind, "name": contact.name}
    fields |= {"email": contact.email} if contact.email else {}
    fields |= {"phone": contact.phone} if contact.phone else {}
    return c.ContactReceived(contact.dossier_code, fields, contact.time)


def _dossier_event(record: Record) -> c.Command | None:
    kind = next((v for k, v in record.headers or [] if k == "ce_type"), None)
    if kind not in _WANTED_EVENTS:
        return None
    event = from_kafka(record.key, record.value, record.headers or [])
    subject = event.subject or ""
    if isinstance(event.data, DossierRescheduled):
        return c.Rescheduled(subject, event.data.new_due_at, event.data.reason)
    if isinstance(event.data, DossierReceived):
        return _received(subject, event.time, event.data)
    return None


def _received(subject: str, time: datetime, data: DossierReceived) -> c.Command:
    facts = Facts(
        dossier_id=subject,
        unit_code=data.unit_code,
        procedure_code=data.procedure.code,
        procedure_name=data.procedure.name,
        received_at=time,
        due_at=data.due_at or time,
        assignee_id=data.assignee.id if data.assignee else None,
        receiving_unit_code=data.receiving_unit_code,
    )
    limit = None if data.due_at else (data.time_limit.value, data.time_limit.unit)
    return c.FactsSeen(facts, limit)


def _facts(subject: str, f: DossierFacts) -> Facts:
    return Facts(
        dossier_id=subject,
        unit_code=f.unit_code,
        procedure_code=f.procedure_code,
        procedure_name=f.procedure_name,
        received_at=f.received_at,
        due_at=f.due_at,
        assignee_id=f.assignee_id,
        receiving_unit_code=f.receiving_unit_code,
    )


def _alert(record: Record) -> c.Command | None:
    event = decode_event(record.value, record.headers or [])
    data = ALERT_MODELS[event.type].model_validate(event.data)
    match data:
        case ApologyWindowOpened():
            return c.WindowOpened(_facts(event.subject, data.dossier))
        case DeadlineBreached():
            return c.Breached(_facts(event.subject, data.dossier), data.breached_at)
        case FinishedLate():
            return c.FinishedLate(_facts(event.subject, data.dossier), data.finished_at)
        case Finished():
            return c.Finished(_facts(event.subject, data.dossier), data.finished_at)
        case BreachAttributed() if should_apologise(data.cause):
            known = _facts(event.subject, data.dossier)
            return c.Attributed(known, Cause(data.cause), data.revision)
        case BreachAttributed():
            return c.Unattributed(_facts(event.subject, data.dossier), data.cause, data.revision)
        case EscalationOpened():
            return c.EscalationOpened(
                data.escalation_id, _facts(event.subject, data.dossier), data.cause, data.summary
            )
    facts = getattr(data, "dossier", None)
    return c.FactsOnly(_facts(event.subject, facts)) if facts is not None else None

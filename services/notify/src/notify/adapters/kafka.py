"""The consumer handler: decode each record by topic, validate, and hand the batch to intake.

Notify reads `sla-alerts`, `audit-findings`, `dossier-contacts` and, as an extension of what the
contract lists, `dossier-events` for `dossier.received` (facts), `dossier.rescheduled` (the unit's
new date) and `dossier.transferred` / `dossier.assigned` (the processing unit and the assigned
official); other event types there are skipped on their `ce_type` header, before any decoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dunghan_common.events import (
    DossierAssigned,
    DossierReceived,
    DossierRescheduled,
    DossierTransferred,
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
    EscalationWithdrawn,
    Finished,
    FinishedLate,
    FlagRaised,
    VerdictRevised,
)
from dunghan_common.kafka import PoisonMessageError
from dunghan_common.kafka.consumer import Record
from pydantic import ValidationError

from notify.domain.letters import should_apologise
from notify.domain.models import Cause, Facts
from notify.usecases import commands as c
from notify.usecases.intake import Intake

_WANTED_EVENTS = frozenset(
    x.encode()
    for x in (
        t.DOSSIER_RECEIVED,
        t.DOSSIER_RESCHEDULED,
        t.DOSSIER_TRANSFERRED,
        t.DOSSIER_ASSIGNED,
    )
)


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
        return c.Rescheduled(subject, event.data.new_due_at, event.data.reason, event.time)
    if isinstance(event.data, DossierTransferred):
        return c.Transferred(subject, event.data.to_unit_code, event.time)
    if isinstance(event.data, DossierAssigned):
        assignee = event.data.assignee.id if event.data.assignee else None
        return c.Transferred(subject, event.data.unit_code, event.time, assignee)
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
        promised_due_at=f.promised_due_at,
        events_applied=f.events_applied,
    )


def _alert(record: Record) -> c.Command | None:  # noqa: C901 - one case per type
    event = decode_event(record.value, record.headers or [])
    data = ALERT_MODELS[event.type].model_validate(event.data)
    match data:
        case Finished():
            at = data.finished_at
            return c.Finished(_facts(event.subject, data.dossier), at, data.timeliness)
        case VerdictRevised():
            facts = _facts(event.subject, data.dossier)
            return c.VerdictRevised(facts, data.current.timeliness, data.revision)
        case FlagRaised():
            return c.FlagRaised(_facts(event.subject, data.dossier), data.flag)
        case EscalationWithdrawn():
            return c.EscalationWithdrawn(
                data.escalation_id, event.subject or "", data.cause, data.reason
            )
        case ApologyWindowOpened():
            return c.WindowOpened(_facts(event.subject, data.dossier))
        case DeadlineBreached():
            return c.Breached(_facts(event.subject, data.dossier), data.breached_at)
        case FinishedLate():
            return c.FinishedLate(_facts(event.subject, data.dossier), data.finished_at)
        case BreachAttributed() if should_apologise(data.cause):
            known = _facts(event.subject, data.dossier)
            return c.Attributed(known, Cause(data.cause), data.revision, data.local_timeliness)
        case BreachAttributed():
            return c.Unattributed(
                _facts(event.subject, data.dossier),
                data.cause,
                data.revision,
                data.local_timeliness,
            )
        case EscalationOpened():
            return c.EscalationOpened(
                data.escalation_id, _facts(event.subject, data.dossier), data.cause, data.summary
            )
    about = getattr(data, "dossier", None)
    return c.FactsOnly(_facts(event.subject, about)) if about is not None else None

"""Splitting personal data off the events (docs/domain.md §9): applicants and officials.

Only the restricted, compacted `dossier-contacts` topic may carry names, emails and phone numbers;
`dossier-events` gets `dossier.received` without `data.applicant` and every `assignee` reduced to
its `id` (docs/contract.md §2). A contact record is an applicant's (``record = "applicant"``,
keyed by the dossier code) or an official's (``record = "official"``, keyed ``official:<id>``, so
compaction keeps one per official, never an applicant's under an official's key).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from dunghan_common.events.catalog import TOPIC_DATA_MODELS
from dunghan_common.events.dossier import (
    Assignee,
    AssigneeRef,
    DossierAssignedWithContact,
    DossierReceivedWithApplicant,
)
from dunghan_common.events.envelope import CloudEvent, event_model
from dunghan_common.events.fields import (
    STRICT_CONFIG,
    Code,
    Email,
    EventId,
    Label,
    Name,
    Phone,
    Rfc3339,
    Source,
)

OFFICIAL_KEY_PREFIX = "official:"


class DossierContact(BaseModel):
    """How to reach a dossier's applicant, with the event it came from; one per dossier code."""

    model_config = STRICT_CONFIG

    record: Literal["applicant"] = "applicant"
    dossier_code: Code
    kind: Label
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    event_id: EventId
    source: Source
    time: Rfc3339

    def key(self) -> str:
        """The record's key on `dossier-contacts`."""
        return self.dossier_code


class OfficialContact(BaseModel):
    """An assigned official's name and email, from the event that assigned them."""

    model_config = STRICT_CONFIG

    record: Literal["official"] = "official"
    official_id: Code
    name: Name
    email: Email | None = None
    dossier_code: Code
    event_id: EventId
    source: Source
    time: Rfc3339

    def key(self) -> str:
        """The record's key on `dossier-contacts`: one per official."""
        return OFFICIAL_KEY_PREFIX + self.official_id


Contact = DossierContact | OfficialContact


def official_contact(event: CloudEvent, assignee: Assignee) -> OfficialContact:
    """The official's contact record an event carried."""
    if event.subject is None:
        raise ValueError(f"{event.type} without subject was not validated")
    return OfficialContact(
        official_id=assignee.id,
        name=assignee.name,
        email=assignee.email,
        dossier_code=event.subject,
        event_id=event.id,
        source=event.source,
        time=event.time,
    )


def applicant_contact(event: CloudEvent, data: DossierReceivedWithApplicant) -> DossierContact:
    """The applicant's contact record of a pushed `dossier.received`."""
    if event.subject is None:
        raise ValueError("a dossier.received event without subject was not validated")
    a = data.applicant
    return DossierContact(
        dossier_code=event.subject,
        kind=a.kind,
        name=a.name,
        email=a.email,
        phone=a.phone,
        event_id=event.id,
        source=event.source,
        time=event.time,
    )


def split_contacts(event: CloudEvent) -> tuple[CloudEvent, list[Contact]]:
    """Return the event fit for `dossier-events` and the contact records it carried."""
    data = event.data
    contacts: list[Contact] = []
    if isinstance(data, DossierReceivedWithApplicant):
        contacts.append(applicant_contact(event, data))
    if isinstance(data, DossierReceivedWithApplicant | DossierAssignedWithContact):
        if data.assignee is not None:
            contacts.append(official_contact(event, data.assignee))
        return _on_topic(event, data), contacts
    return event, contacts


def split_contact(event: CloudEvent) -> tuple[CloudEvent, DossierContact | None]:
    """The event fit for `dossier-events` and its applicant's contact, if any."""
    public, contacts = split_contacts(event)
    applicant = [c for c in contacts if isinstance(c, DossierContact)]
    return public, applicant[0] if applicant else None


def _on_topic(
    event: CloudEvent, data: DossierReceivedWithApplicant | DossierAssignedWithContact
) -> CloudEvent:
    """Rebuild the event in its topic form, keeping which attributes the source set."""
    kept = {name: getattr(data, name) for name in data.model_fields_set - {"applicant"}}
    if data.assignee is not None and "assignee" in kept:
        kept["assignee"] = AssigneeRef(id=data.assignee.id)
    attributes = {name: getattr(event, name) for name in event.model_fields_set}
    # Re-validating the already validated values is cheaper than `model_construct` (measured).
    attributes.update(event.extensions, data=TOPIC_DATA_MODELS[event.type].model_validate(kept))
    return event_model(event.type, "topic").model_validate(attributes)

"""Splitting the applicant's personal data off `dossier.received` (docs/domain.md §9).

Only the restricted, compacted `dossier-contacts` topic may carry names, emails and phone numbers;
`dossier-events` gets the event without `data.applicant` (docs/contract.md §2).
"""

from __future__ import annotations

from pydantic import BaseModel

from dunghan_common.events.dossier import DossierReceived, DossierReceivedWithApplicant
from dunghan_common.events.envelope import CloudEvent, event_model
from dunghan_common.events.event_types import DOSSIER_RECEIVED
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


class DossierContact(BaseModel):
    """How to reach a dossier's applicant, with the event it came from; one per dossier code."""

    model_config = STRICT_CONFIG

    dossier_code: Code
    kind: Label
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    event_id: EventId
    source: Source
    time: Rfc3339


def split_contact(event: CloudEvent) -> tuple[CloudEvent, DossierContact | None]:
    """Return the event fit for `dossier-events` and the contact it carried, if any."""
    data = event.data
    if not isinstance(data, DossierReceivedWithApplicant):
        return event, None
    if event.subject is None:
        raise ValueError("a dossier.received event without subject was not validated")
    applicant = data.applicant
    contact = DossierContact(
        dossier_code=event.subject,
        kind=applicant.kind,
        name=applicant.name,
        email=applicant.email,
        phone=applicant.phone,
        event_id=event.id,
        source=event.source,
        time=event.time,
    )
    return _without_applicant(event, data), contact


def _without_applicant(event: CloudEvent, data: DossierReceivedWithApplicant) -> CloudEvent:
    """Rebuild the event in its topic form, keeping which attributes the source set."""
    # Re-validating the already validated values is cheaper than `model_construct` (measured).
    kept = {name: getattr(data, name) for name in data.model_fields_set - {"applicant"}}
    attributes = {name: getattr(event, name) for name in event.model_fields_set}
    attributes.update(event.extensions, data=DossierReceived.model_validate(kept))
    return event_model(DOSSIER_RECEIVED, "topic").model_validate(attributes)

"""The `data` model of each event type, as pushed (docs/contract.md §1) and on `dossier-events`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dunghan_common.events import event_types as t
from dunghan_common.events.dossier import (
    DossierAssigned,
    DossierAssignedWithContact,
    DossierPaused,
    DossierReceived,
    DossierReceivedWithApplicant,
    DossierRefused,
    DossierRescheduled,
    DossierResultDigitized,
    DossierResultReady,
    DossierResumed,
    DossierReturned,
    DossierStopped,
    DossierSubmitted,
    DossierSupplementReceived,
    DossierSupplementRequested,
    DossierTransferred,
    DossierWithdrawn,
)
from dunghan_common.events.fields import EventData
from dunghan_common.events.operations import (
    PaymentCompleted,
    PortalSnapshotTaken,
    PortalSyncFailed,
    PortalSyncSucceeded,
    SystemErrorOccurred,
    SystemOutageEnded,
    SystemOutageStarted,
)

_ON_TOPIC: dict[str, type[EventData]] = {
    t.DOSSIER_SUBMITTED: DossierSubmitted,
    t.DOSSIER_RECEIVED: DossierReceived,
    t.DOSSIER_ASSIGNED: DossierAssigned,
    t.DOSSIER_TRANSFERRED: DossierTransferred,
    t.DOSSIER_SUPPLEMENT_REQUESTED: DossierSupplementRequested,
    t.DOSSIER_SUPPLEMENT_RECEIVED: DossierSupplementReceived,
    t.DOSSIER_PAUSED: DossierPaused,
    t.DOSSIER_RESUMED: DossierResumed,
    t.DOSSIER_RESCHEDULED: DossierRescheduled,
    t.DOSSIER_RESULT_READY: DossierResultReady,
    t.DOSSIER_RESULT_DIGITIZED: DossierResultDigitized,
    t.DOSSIER_RETURNED: DossierReturned,
    t.DOSSIER_REFUSED: DossierRefused,
    t.DOSSIER_STOPPED: DossierStopped,
    t.DOSSIER_WITHDRAWN: DossierWithdrawn,
    t.PAYMENT_COMPLETED: PaymentCompleted,
    t.PORTAL_SYNC_SUCCEEDED: PortalSyncSucceeded,
    t.PORTAL_SYNC_FAILED: PortalSyncFailed,
    t.PORTAL_SNAPSHOT: PortalSnapshotTaken,
    t.SYSTEM_ERROR: SystemErrorOccurred,
    t.SYSTEM_OUTAGE_STARTED: SystemOutageStarted,
    t.SYSTEM_OUTAGE_ENDED: SystemOutageEnded,
}

# What sources push to `POST /v1/events`: `dossier.received` carries the applicant, and assignees
# their name and email.
DATA_MODELS: Final[Mapping[str, type[EventData]]] = MappingProxyType(
    {
        **_ON_TOPIC,
        t.DOSSIER_RECEIVED: DossierReceivedWithApplicant,
        t.DOSSIER_ASSIGNED: DossierAssignedWithContact,
    }
)
# What `dossier-events` carries: the applicant and assignees' names and emails are split off to
# `dossier-contacts` at ingest.
TOPIC_DATA_MODELS: Final[Mapping[str, type[EventData]]] = MappingProxyType(_ON_TOPIC)
EVENT_TYPES: Final = frozenset(DATA_MODELS)

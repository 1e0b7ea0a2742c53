"""Value objects of the audit: stored observations, outage windows, attributions, escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from dunghan_common.events.findings import Cause, DossierFacts, Evidence, Timeliness
from pydantic import AwareDatetime, BaseModel, ConfigDict

EscalatedCause = Literal["software_error", "sync_error"]
EscalationStatus = Literal["open", "acknowledged", "resolved", "withdrawn"]
PortalStatus = Literal["agrees", "disagrees", "unknown"]
Resolution = Literal["portal_caught_up", "manual"]
ESCALATED_CAUSES: frozenset[str] = frozenset({"software_error", "sync_error"})
#: Portal status codes that end processing (docs/domain.md §3): refused, withdrawn, stopped, 9, 10.
FINISHING_STATUSES: frozenset[int] = frozenset({3, 7, 8, 9, 10})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Observation(_Frozen):
    """One event about one dossier as stored: dossier-events and sla-alerts alike."""

    event_key: str
    dossier_id: str
    type: str
    time: AwareDatetime
    data: dict[str, Any]
    #: when this service stored it (wall clock); None before it is stored
    recorded_at: AwareDatetime | None = None


class OutageWindow(_Frozen):
    """A component outage, folded from its start and end events (either may be missing)."""

    outage_id: str
    component: str
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None

    def covers(self, instant: datetime) -> bool:
        """Whether ``instant`` lies inside the window; an outage not yet ended is still open."""
        if self.started_at is None or instant < self.started_at:
            return False
        return self.ended_at is None or instant <= self.ended_at


class Assessment(_Frozen):
    """The attribution of one dossier at one instant, before it is stored."""

    dossier_id: str
    facts: DossierFacts
    cause: Cause
    local_timeliness: Timeliness
    portal_overdue: bool
    portal_view: PortalStatus = "unknown"
    portal_caught_up: bool
    evidence: list[Evidence]
    period: str
    next_check_at: AwareDatetime | None = None
    #: the outage that groups this software fault with the others it caused, if any
    outage_id: str | None = None
    finished_at: AwareDatetime | None = None


class CurrentAttribution(_Frozen):
    """The stored attribution of a dossier: its latest cause, revision and evidence."""

    dossier_id: str
    unit_code: str
    cause: Cause
    revision: int
    local_timeliness: Timeliness
    portal_overdue: bool
    evidence: list[Evidence]
    period: str
    attributed_at: AwareDatetime
    due_at: AwareDatetime
    next_check_at: AwareDatetime | None = None
    portal_view: PortalStatus = "unknown"
    finished_at: AwareDatetime | None = None
    #: when the dossier was received: the month the portal's index counts it in
    received_at: AwareDatetime | None = None


class AttributionHead(_Frozen):
    """What revising needs of a stored attribution: its cause, revision and when it was set."""

    dossier_id: str
    cause: Cause
    revision: int
    attributed_at: AwareDatetime


class Revision(_Frozen):
    """One change of a dossier's cause, kept forever (revisions add, never replace)."""

    dossier_id: str
    revision: int
    cause: Cause
    previous_cause: Cause | None
    local_timeliness: Timeliness
    portal_overdue: bool
    evidence: list[Evidence]
    attributed_at: AwareDatetime


class Escalation(_Frozen):
    """A software or sync fault sent to DOST: one per dossier and cause, or one per outage
    listing every dossier it touched (``dossier_id`` is the first)."""

    id: str
    dossier_id: str
    unit_code: str
    cause: EscalatedCause
    status: EscalationStatus
    summary: str
    opened_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    resolution: Resolution | None = None
    note: str | None = None
    outage_id: str | None = None
    dossier_ids: list[str] = []
    withdrawn_at: AwareDatetime | None = None
    withdrawn_reason: str | None = None

    def touches(self, dossier_id: str) -> bool:
        """Whether this escalation is about the dossier."""
        return dossier_id == self.dossier_id or dossier_id in self.dossier_ids

    @property
    def closed(self) -> bool:
        """Resolved or withdrawn: nothing moves it any more."""
        return self.status in ("resolved", "withdrawn")

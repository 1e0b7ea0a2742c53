"""Typed `data` of the events services emit: `sla.*` (sla-alerts), `audit.*` (audit-findings).

Encode with ``encode_event(type, dossier_id, model.model_dump(mode="json"), ...)`` and read back
with ``ALERT_MODELS[event.type].model_validate(event.data)``. These carry no personal data: the
assigned official is named by id only; contacts travel on `dossier-contacts` alone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dunghan_common.events.event_types import (
    AUDIT_BREACH_ATTRIBUTED,
    AUDIT_ESCALATION_OPENED,
    AUDIT_ESCALATION_RESOLVED,
    AUDIT_ESCALATION_WITHDRAWN,
    SLA_APOLOGY_WINDOW_OPENED,
    SLA_DEADLINE_BREACHED,
    SLA_FINISHED,
    SLA_FINISHED_LATE,
    SLA_FLAG_RAISED,
    SLA_VERDICT_REVISED,
)

Cause = Literal["official_delay", "software_error", "sync_error", "none"]
Flag = Literal[
    "deadline_mismatch",
    "supplement_requested_twice",
    "rescheduled_twice",
    "beyond_calendar_horizon",
    "due_outside_calendar",
    # What ingest had to guess translating the portal's format (dvcqgflags.py).
    "time_limit_inferred",
    "time_from_arrival",
    "unknown_unit",
    "unknown_channel",
    "unknown_payment",
]
Timeliness = Literal["within_time", "overdue", "early", "on_time", "late"]
FinishedTimeliness = Literal["early", "on_time", "late"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DossierFacts(_Data):
    """What a letter or a reminder needs to know of a dossier, without personal data."""

    unit_code: str
    receiving_unit_code: str | None = None
    procedure_code: str
    procedure_name: str | None = None
    channel: Literal["online", "in_person", "postal"] | None = None
    received_at: AwareDatetime
    due_at: AwareDatetime = Field(description="the due date the dossier is judged by")
    computed_due_at: AwareDatetime | None = None
    promised_due_at: AwareDatetime | None = Field(None, description="rescheduled date, if any")
    assignee_id: str | None = None
    events_applied: int | None = Field(
        None,
        description="how many of the dossier's events sla had applied when it decided this: "
        "of two announcements about one dossier, the one with more events applied is newer",
    )


class ApologyWindowOpened(_Data):
    """`sla.apology_window_opened`: due − 1 working day has come and the dossier is open."""

    dossier: DossierFacts
    window_opened_at: AwareDatetime


class DeadlineBreached(_Data):
    """`sla.deadline_breached`: the due time passed and the dossier is not finished."""

    dossier: DossierFacts
    breached_at: AwareDatetime


class FinishedLate(_Data):
    """`sla.finished_late`: processing ended after the due time."""

    dossier: DossierFacts
    finished_at: AwareDatetime
    end_event: str = Field(description="the event type that ended processing")


class Finished(_Data):
    """`sla.finished`: processing ended (result ready or returned, stopped, refused, withdrawn).

    Sent once per dossier, whatever the timeliness: silence never means "on time".
    """

    dossier: DossierFacts
    finished_at: AwareDatetime
    end_event: str = Field(description="the event type that ended processing")
    timeliness: FinishedTimeliness


class Verdict(_Data):
    """A timeliness with the due date it was judged against."""

    timeliness: Timeliness
    due_at: AwareDatetime | None = None


class VerdictRevised(_Data):
    """`sla.verdict_revised`: late or out-of-order events changed a verdict already announced.

    Late → on time, on time → late, or a judged due date that moved after an alert was sent.
    Sent once per change (``revision`` counts them per dossier).
    """

    dossier: DossierFacts
    revision: int = Field(ge=1)
    previous: Verdict
    current: Verdict
    caused_by: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="the types of the events applied since the previous verdict, in event-time "
        "order, that changed it",
    )
    revised_at: AwareDatetime


class FlagRaised(_Data):
    """`sla.flag_raised`: a rule of docs/domain.md §4 was broken (a likely software fault)."""

    dossier: DossierFacts
    flag: Flag
    detail: str
    raised_at: AwareDatetime


class Evidence(_Data):
    """One line of an attribution's evidence timeline."""

    time: AwareDatetime
    kind: str
    detail: str


class BreachAttributed(_Data):
    """`audit.breach_attributed`: a breach's cause and evidence; revisions add, never replace."""

    dossier: DossierFacts
    cause: Cause
    previous_cause: Cause | None = None
    revision: int = Field(ge=1)
    local_timeliness: Timeliness
    portal_overdue: bool
    evidence: list[Evidence] = Field(max_length=200)
    attributed_at: AwareDatetime


class EscalationOpened(_Data):
    """`audit.escalation_opened`: a software or sync fault sent to DOST.

    An outage is one escalation: ``outage_id`` names it and ``dossier_ids`` lists the dossiers it
    touched so far (``dossier`` is the first).
    """

    escalation_id: str
    dossier: DossierFacts
    cause: Literal["software_error", "sync_error"]
    opened_at: AwareDatetime
    summary: str
    outage_id: str | None = None
    dossier_ids: list[str] = Field(default_factory=list)


class EscalationResolved(_Data):
    """`audit.escalation_resolved`: DOST resolved it, or the portal caught up by itself."""

    escalation_id: str
    cause: Literal["software_error", "sync_error"]
    resolved_at: AwareDatetime
    resolution: Literal["portal_caught_up", "manual"]
    note: str | None = None


class EscalationWithdrawn(_Data):
    """`audit.escalation_withdrawn`: its cause no longer holds (sla revised the local verdict)."""

    escalation_id: str
    cause: Literal["software_error", "sync_error"]
    withdrawn_at: AwareDatetime
    reason: str


ALERT_MODELS: dict[str, type[_Data]] = {
    SLA_APOLOGY_WINDOW_OPENED: ApologyWindowOpened,
    SLA_DEADLINE_BREACHED: DeadlineBreached,
    SLA_FINISHED_LATE: FinishedLate,
    SLA_FLAG_RAISED: FlagRaised,
    SLA_FINISHED: Finished,
    SLA_VERDICT_REVISED: VerdictRevised,
    AUDIT_BREACH_ATTRIBUTED: BreachAttributed,
    AUDIT_ESCALATION_OPENED: EscalationOpened,
    AUDIT_ESCALATION_RESOLVED: EscalationResolved,
    AUDIT_ESCALATION_WITHDRAWN: EscalationWithdrawn,
}

__all__ = [
    "ALERT_MODELS",
    "ApologyWindowOpened",
    "BreachAttributed",
    "Cause",
    "DeadlineBreached",
    "DossierFacts",
    "EscalationOpened",
    "EscalationResolved",
    "EscalationWithdrawn",
    "Evidence",
    "Finished",
    "FinishedLate",
    "FinishedTimeliness",
    "Flag",
    "FlagRaised",
    "Timeliness",
    "Verdict",
    "VerdictRevised",
]

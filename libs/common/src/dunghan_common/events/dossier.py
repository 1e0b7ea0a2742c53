"""`data` of the `dossier.*` events (docs/contract.md §1), one model per type, past-tense names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dunghan_common.events.fields import (
    STRICT_CONFIG,
    Code,
    Email,
    EventData,
    Label,
    Name,
    Phone,
    Rfc3339,
    Text,
    Url,
)

Channel = Literal["online", "in_person", "postal"]
TimeUnit = Literal["working_days", "working_hours", "calendar_days"]
PauseKind = Literal["financial_obligation", "verification", "other"]

# The contract leaves `procedure.level` and `applicant.kind` open, so they are bounded free strings:
# an enum here would reject pushes the contract allows. These are the values the examples use.
KNOWN_PROCEDURE_LEVELS = frozenset({"full_online", "partial_online", "offline"})
KNOWN_APPLICANT_KINDS = frozenset({"citizen", "organization"})


class _ValueObject(BaseModel):
    """Nested part of an event's data, as strict as the data itself."""

    model_config = STRICT_CONFIG


class Procedure(_ValueObject):
    """The administrative procedure (thủ tục hành chính) a dossier is filed under."""

    code: Code
    name: Name
    level: Label | None = None


class TimeLimit(_ValueObject):
    """The legal processing time (thời hạn giải quyết); a zero limit is not a limit."""

    value: Annotated[int, Field(ge=1, le=10_000)]
    unit: TimeUnit


class Assignee(_ValueObject):
    """An official (cán bộ) a dossier is assigned to."""

    id: Code
    name: Name
    email: Email | None = None


class AssigneeRef(BaseModel):
    """An assigned official as `dossier-events` carries them: the id only (docs/domain.md §9).

    Records written before ingest reduced assignees still hold the name and email: they are
    dropped when read, never passed on.
    """

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    id: Code


class Applicant(_ValueObject):
    """Who filed the dossier: personal data, split to `dossier-contacts` at ingest."""

    kind: Label
    name: Name
    email: Email | None = None
    phone: Phone | None = None


class DossierSubmitted(EventData):
    """Submitted online, awaiting reception (status 1)."""

    procedure_code: Code
    channel: Channel


class DossierReceived(EventData):
    """Received: the clock starts (status 2). This is the form on `dossier-events`: no applicant,
    the assignee by id."""

    unit_code: Code
    receiving_unit_code: Code | None = None
    procedure: Procedure
    time_limit: TimeLimit
    due_at: Rfc3339 | None = None
    channel: Channel
    fee_required: bool = False
    e_result_required: bool = True
    assignee: AssigneeRef | None = None


class DossierReceivedWithApplicant(DossierReceived):
    """`dossier.received` as sources push it (docs/contract.md §1): with the applicant and the
    assignee's name and email."""

    assignee: Assignee | None = None  # type: ignore[assignment]  # the pushed form: in full
    applicant: Applicant


class DossierAssigned(EventData):
    """Assigned to an official (status 4), as `dossier-events` carries it: the id only."""

    assignee: AssigneeRef
    unit_code: Code | None = None


class DossierAssignedWithContact(DossierAssigned):
    """`dossier.assigned` as sources push it: the assignee's name and email split off at ingest."""

    assignee: Assignee  # type: ignore[assignment]  # the pushed form: in full


class DossierTransferred(EventData):
    """Moved to another unit for a processing step (status 4)."""

    from_unit_code: Code
    to_unit_code: Code
    step_due_at: Rfc3339 | None = None


class DossierSupplementRequested(EventData):
    """The applicant was asked for more documents (status 5)."""

    reason: Text


class DossierSupplementReceived(EventData):
    """The requested documents arrived (back from status 5)."""


class DossierPaused(EventData):
    """The clock is paused, e.g. waiting for fees (status 6)."""

    kind: PauseKind
    reason: Text
    legal_basis: Text | None = None


class DossierResumed(EventData):
    """The clock runs again after a pause."""


class DossierRescheduled(EventData):
    """A new appointment was promised, with an apology (ngày hẹn trả mới)."""

    new_due_at: Rfc3339
    reason: Text


class DossierResultReady(EventData):
    """Result ready: end of processing for the index (status 9)."""

    result_code: Code | None = None


class DossierResultDigitized(EventData):
    """The electronic result exists, stored in the data warehouse or not."""

    file_url: Url
    stored_in_data_warehouse: bool


class DossierReturned(EventData):
    """The result was handed over (status 10)."""

    channel: Channel


class DossierRefused(EventData):
    """Refused at reception (status 3)."""

    reason: Text


class DossierStopped(EventData):
    """Processing stopped (status 8)."""

    reason: Text


class DossierWithdrawn(EventData):
    """Withdrawn by the applicant (status 7)."""

    reason: Text | None = None

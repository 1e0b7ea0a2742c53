"""What the consumers hand the intake use-case, already decoded and validated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from notify.domain.models import Cause, Facts


@dataclass(frozen=True)
class ContactReceived:
    """An applicant contact from `dossier-contacts` (personal data: sealed before storing)."""

    dossier_id: str
    fields: dict[str, str]
    time: datetime


@dataclass(frozen=True)
class OfficialContactReceived:
    """An official's name and email from `dossier-contacts` (kind ``official``), sealed too."""

    dossier_id: str
    official_id: str
    fields: dict[str, str]
    time: datetime


@dataclass(frozen=True)
class ContactDeleted:
    """A tombstone on `dossier-contacts`."""

    dossier_id: str


@dataclass(frozen=True)
class FactsSeen:
    """Facts from `dossier.received`: kept unless an alert already told us better.

    ``facts.due_at`` is the source's appointment when it printed one; otherwise ``time_limit``
    (value, unit) is set and the due date is computed on the working calendar.
    """

    facts: Facts
    time_limit: tuple[int, str] | None = None


@dataclass(frozen=True)
class Rescheduled:
    """`dossier.rescheduled`: the unit promised a new date (its letter case takes it)."""

    dossier_id: str
    new_due_at: datetime
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class Transferred:
    """`dossier.transferred` or `dossier.assigned` naming a unit: who processes it now."""

    dossier_id: str
    unit_code: str | None
    at: datetime
    assignee_id: str | None = None


@dataclass(frozen=True)
class WindowOpened:
    """`sla.apology_window_opened`: remind the official (unless already overdue)."""

    facts: Facts


@dataclass(frozen=True)
class Breached:
    """`sla.deadline_breached`: remind the official; the dossier joins the digest."""

    facts: Facts
    at: datetime


@dataclass(frozen=True)
class FinishedLate:
    """`sla.finished_late`: the dossier leaves the digest."""

    facts: Facts
    at: datetime


@dataclass(frozen=True)
class Finished:
    """`sla.finished`: every end of processing, with its timeliness."""

    facts: Facts
    at: datetime
    timeliness: str


@dataclass(frozen=True)
class VerdictRevised:
    """`sla.verdict_revised`: late events changed a verdict (``timeliness`` is the current)."""

    facts: Facts
    timeliness: str
    revision: int


@dataclass(frozen=True)
class FlagRaised:
    """`sla.flag_raised`: a rule was broken (a second supplement request matters here)."""

    facts: Facts
    flag: str


@dataclass(frozen=True)
class Attributed:
    """`audit.breach_attributed` with a cause that earns a letter."""

    facts: Facts
    cause: Cause
    revision: int = 1
    local_timeliness: str | None = None


@dataclass(frozen=True)
class Unattributed:
    """`audit.breach_attributed` with a cause that earns no letter (`sync_error`, `none`)."""

    facts: Facts
    cause: str
    revision: int
    local_timeliness: str | None = None


@dataclass(frozen=True)
class EscalationOpened:
    """`audit.escalation_opened`: notice to DOST, at any time."""

    escalation_id: str
    facts: Facts
    cause: str
    summary: str


@dataclass(frozen=True)
class EscalationWithdrawn:
    """`audit.escalation_withdrawn`: its cause no longer holds; DOST gets a notice."""

    escalation_id: str
    dossier_id: str
    cause: str
    reason: str


@dataclass(frozen=True)
class FactsOnly:
    """Any other alert: only its facts are worth keeping."""

    facts: Facts


Command = (
    ContactReceived
    | OfficialContactReceived
    | ContactDeleted
    | FactsSeen
    | Rescheduled
    | Transferred
    | WindowOpened
    | Breached
    | FinishedLate
    | Finished
    | VerdictRevised
    | FlagRaised
    | Attributed
    | Unattributed
    | EscalationOpened
    | EscalationWithdrawn
    | FactsOnly
)


def dossier_of(command: Command) -> str:
    """The dossier a command is about (its lock, its records)."""
    if isinstance(
        command,
        ContactReceived
        | OfficialContactReceived
        | ContactDeleted
        | Rescheduled
        | Transferred
        | EscalationWithdrawn,
    ):
        return command.dossier_id
    return command.facts.dossier_id

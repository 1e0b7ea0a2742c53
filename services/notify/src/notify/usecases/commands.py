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
    """`dossier.rescheduled`: the source promised a new date; write the letter."""

    dossier_id: str
    new_due_at: datetime
    reason: str


@dataclass(frozen=True)
class WindowOpened:
    """`sla.apology_window_opened`: remind the official."""

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
    """`sla.finished`: processing ended; the contacts' need ends once its letters settle."""

    facts: Facts
    at: datetime


@dataclass(frozen=True)
class Attributed:
    """`audit.breach_attributed` with a cause that earns a letter."""

    facts: Facts
    cause: Cause
    revision: int = 1


@dataclass(frozen=True)
class Unattributed:
    """`audit.breach_attributed` with a cause that earns no letter (`sync_error`, `none`)."""

    facts: Facts
    cause: str
    revision: int


@dataclass(frozen=True)
class EscalationOpened:
    """`audit.escalation_opened`: notice to DOST, at any time."""

    escalation_id: str
    facts: Facts
    cause: str
    summary: str


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
    | WindowOpened
    | Breached
    | FinishedLate
    | Finished
    | Attributed
    | Unattributed
    | EscalationOpened
    | FactsOnly
)


def dossier_of(command: Command) -> str:
    """The dossier a command is about (its lock, its records)."""
    if isinstance(
        command, ContactReceived | OfficialContactReceived | ContactDeleted | Rescheduled
    ):
        return command.dossier_id
    return command.facts.dossier_id

"""Approval by the unit head (docs/domain.md §5 "Approval"): the deadline a letter waiting for
its head keeps, and what happens when it passes.

Pure. An approved letter keeps the legal deadline: 1 working day before the due date. For a case
opened when that instant had already passed (the dossier overdue, or in its last working day)
the head gets a short window from the case's opening instead (``approval_window_working_hours``,
default 4 working hours). A letter still awaiting approval at its deadline is **issued without
the approval**: the citizen's apology on time is the legal duty, the approval a unit's own
practice. The unit head gets a notice saying so, and the scheduler counts it
(``dunghan_notify_letters_issued_unapproved_total``, alert ``DunghanLettersIssuedUnapproved``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dunghan_common.units import UnitDirectory

from notify.domain.heads import head_notice
from notify.domain.models import (
    Letter,
    LetterStatus,
    NewNotification,
)
from notify.domain.policy import approval_lapsed_text, approval_wanted_text


@dataclass(frozen=True)
class ApprovalTimes:
    """The calendar's answers for one letter: 1 working day before its due date, and the end
    of the short window after its case was opened."""

    before_due: datetime
    after_opened: datetime


@dataclass(frozen=True)
class Lapsed:
    """A letter issued at its approval deadline, and the notice to its unit head (None when
    the directory has no email for the head)."""

    letter: Letter
    deadline: datetime
    notice: NewNotification | None


def deadline(letter: Letter, times: ApprovalTimes) -> datetime:
    """When the letter must be out: 1 working day before the due date, or, when that had
    passed as the case opened, the end of the short window after its opening."""
    return times.before_due if times.before_due > letter.issued_at else times.after_opened


def lapse(
    letter: Letter,
    times: ApprovalTimes,
    now: datetime,
    directory: UnitDirectory,
    office_not_before: datetime,
) -> Lapsed | None:
    """The letter issued without approval when its deadline has come; None otherwise."""
    if letter.status is not LetterStatus.AWAITING_APPROVAL or letter.id is None:
        return None
    due = deadline(letter, times)
    if now < due:
        return None
    issued = letter.model_copy(update={"status": LetterStatus.ISSUED})
    return Lapsed(issued, due, _notice(letter, due, directory, office_not_before))


def wanted(letter: Letter, directory: UnitDirectory, not_before: datetime) -> list[NewNotification]:
    """The notice telling the unit head a letter waits for their approval (once per case and
    cause revision), when the directory has the head's email."""
    if letter.status is not LetterStatus.AWAITING_APPROVAL:
        return []
    subject, body = approval_wanted_text(letter.dossier_id, letter.due_at)
    key = (
        f"notice:approval_wanted:{letter.dossier_id}:{letter.due_at.isoformat()}:r{letter.revision}"
    )
    note = head_notice(
        key, letter.dossier_id, letter.unit_code, directory, subject, body, not_before
    )
    return [note] if note is not None else []


def _notice(
    letter: Letter, due: datetime, directory: UnitDirectory, not_before: datetime
) -> NewNotification | None:
    unit = directory.unit(letter.unit_code)
    if unit is None:
        return None
    number = f"{letter.number:02d}/PXL-{unit.short_name()} ({letter.year})"
    subject, body = approval_lapsed_text(letter.dossier_id, number, due)
    key = f"notice:approval_lapsed:{letter.id}"
    return head_notice(
        key, letter.dossier_id, letter.unit_code, directory, subject, body, not_before
    )

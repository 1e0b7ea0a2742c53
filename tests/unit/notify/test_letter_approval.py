"""Pure tests of approval in ``domain/cases``: a unit whose head approves each letter first.

A hold (unit missing from the directory) or a withdrawal never lets a letter skip its head's
approval (docs/domain.md §5 "Approval").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dunghan_common.calendar import load_calendar
from notify.domain import approval, cases
from notify.domain.approval import ApprovalTimes
from notify.domain.cases import CaseOnRecord
from notify.domain.models import Kind, LetterStatus, RecipientRole
from notify.usecases import commands as c

from tests.unit.notify.test_letter_cases import (
    AFTER,
    BREACH,
    DIRECTORY,
    EMAIL,
    SXD,
    _ctx,
    _facts,
    _fold,
    _issued,
)

APPROVING = frozenset({SXD})


def _held():
    letter = _issued(BREACH, AFTER)
    return letter.model_copy(update={"status": LetterStatus.HELD, "held_at": AFTER})


def test_a_held_letter_released_at_an_approving_unit_awaits_its_head() -> None:
    assert cases.release(_held(), DIRECTORY, APPROVING) is LetterStatus.AWAITING_APPROVAL


def test_a_held_letter_released_elsewhere_is_issued() -> None:
    assert cases.release(_held(), DIRECTORY, frozenset()) is LetterStatus.ISSUED


def test_a_letter_stays_held_while_its_unit_is_missing_and_only_held_ones_are_released() -> None:
    missing = _held().model_copy(update={"unit_code": "999.99.99.H50"})
    assert cases.release(missing, DIRECTORY, frozenset({"999.99.99.H50"})) is None
    assert cases.release(_issued(BREACH, AFTER), DIRECTORY, APPROVING) is None


def test_a_withdrawn_unsent_letter_revived_at_an_approving_unit_awaits_approval_again() -> None:
    withdrawn = _issued(BREACH, AFTER).model_copy(
        update={"status": LetterStatus.WITHDRAWN, "withdrawn_at": AFTER}
    )
    state = _fold([*BREACH, c.Attributed(_facts(6), "official_delay", 2, "overdue")])
    later = AFTER + timedelta(hours=1)
    decision = cases.decide(state, CaseOnRecord(withdrawn, False), EMAIL, _ctx(later, APPROVING))
    assert decision.case is not None
    assert decision.case.status is LetterStatus.AWAITING_APPROVAL
    assert (decision.deliver, decision.requeue) == (None, False)
    elsewhere = cases.decide(state, CaseOnRecord(withdrawn, False), EMAIL, _ctx(later))
    assert elsewhere.case is not None
    assert elsewhere.case.status is LetterStatus.ISSUED
    assert elsewhere.requeue


# --- the approval deadline (domain/approval) ------------------------------------------------

CALENDAR = load_calendar(Path("config/calendar"), first_year=2025, last_year=2026)
MON_17H = datetime(2025, 8, 11, 10, 0, tzinfo=UTC)  # Monday 17:00 in Quảng Trị
FRI_17H = datetime(2025, 8, 8, 10, 0, tzinfo=UTC)  # the working day before: Friday 17:00


def _awaiting(issued_at: datetime, due: datetime):
    letter = _issued(BREACH, AFTER)
    return letter.model_copy(
        update={"status": LetterStatus.AWAITING_APPROVAL, "issued_at": issued_at, "due_at": due}
    )


def _times(letter) -> ApprovalTimes:
    return ApprovalTimes(
        before_due=CALENDAR.subtract_working_days(letter.due_at, 1),
        after_opened=CALENDAR.add_working_hours(letter.issued_at, 4),
    )


def test_a_letter_opened_ahead_keeps_one_working_day_before_the_due_date() -> None:
    opened = datetime(2025, 8, 6, 2, 0, tzinfo=UTC)  # Wednesday 09:00
    letter = _awaiting(opened, MON_17H)
    assert approval.deadline(letter, _times(letter)) == FRI_17H  # over the weekend
    assert (
        approval.lapse(letter, _times(letter), FRI_17H - timedelta(minutes=1), DIRECTORY, FRI_17H)
        is None
    )


def test_at_the_deadline_an_unapproved_letter_is_issued_and_its_head_told() -> None:
    opened = datetime(2025, 8, 6, 2, 0, tzinfo=UTC)
    letter = _awaiting(opened, MON_17H)
    lapsed = approval.lapse(letter, _times(letter), FRI_17H, DIRECTORY, FRI_17H)
    assert lapsed is not None
    assert lapsed.letter.status is LetterStatus.ISSUED
    assert lapsed.deadline == FRI_17H
    note = lapsed.notice
    assert note is not None
    assert (note.kind, note.recipient_role, note.recipient_ref) == (
        Kind.NOTICE,
        RecipientRole.UNIT_HEAD,
        SXD,
    )
    assert note.dedup_key == f"notice:approval_lapsed:{letter.id}"
    assert "chưa được duyệt" in note.subject


def test_an_overdue_dossiers_letter_gets_a_short_window_from_its_opening() -> None:
    opened = datetime(2025, 8, 12, 2, 0, tzinfo=UTC)  # Tuesday 09:00, the day after the due date
    letter = _awaiting(opened, MON_17H)
    # four working hours: Tuesday 15:00 (the office closes for lunch)
    assert approval.deadline(letter, _times(letter)) == datetime(2025, 8, 12, 8, 0, tzinfo=UTC)
    late_friday = datetime(2025, 8, 15, 9, 0, tzinfo=UTC)  # Friday 16:00: 2 working hours left
    friday = _awaiting(late_friday, MON_17H - timedelta(days=7))
    # four working hours from Friday 16:00 run over the weekend to Monday 10:00
    assert approval.deadline(friday, _times(friday)) == datetime(2025, 8, 18, 3, 0, tzinfo=UTC)


def test_only_a_letter_awaiting_approval_lapses() -> None:
    letter = _awaiting(AFTER, MON_17H).model_copy(update={"status": LetterStatus.ISSUED})
    assert (
        approval.lapse(letter, _times(letter), AFTER + timedelta(days=30), DIRECTORY, AFTER) is None
    )


def test_the_head_is_told_a_letter_waits_for_approval_once_per_case_and_revision() -> None:
    opened = cases.decide(_fold(BREACH), None, EMAIL, _ctx(AFTER, APPROVING))
    notes = [n for n in opened.notifications if n.kind is Kind.NOTICE]
    assert [(n.recipient_role, n.recipient_ref) for n in notes] == [(RecipientRole.UNIT_HEAD, SXD)]
    assert notes[0].dedup_key.startswith("notice:approval_wanted:")
    assert "chờ duyệt" in notes[0].subject
    elsewhere = cases.decide(_fold(BREACH), None, EMAIL, _ctx(AFTER))
    assert [n for n in elsewhere.notifications if n.kind is Kind.NOTICE] == []

"""Pure tests of approval in ``domain/cases``: a unit whose head approves each letter first.

A hold (unit missing from the directory) or a withdrawal never lets a letter skip its head's
approval (docs/domain.md §5 "Approval").
"""

from __future__ import annotations

from datetime import timedelta

from notify.domain import cases
from notify.domain.cases import CaseOnRecord
from notify.domain.models import LetterStatus
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

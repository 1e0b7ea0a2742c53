"""Pure tests of ``domain/cases``: histories folded into a dossier's state, then decided.

Each history is what notify reads about one dossier; the decision is what docs/domain.md §5 says
must happen: which letter case (from which unit, saying what), which reminders and notices.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path

from dunghan_common.units import load_units
from notify.domain import cases
from notify.domain.cases import CaseOnRecord, Context, Decision, DossierState
from notify.domain.models import (
    Amendment,
    Cause,
    ChannelName,
    Facts,
    Kind,
    Letter,
    LetterStatus,
    RecipientRole,
)
from notify.usecases import commands as c

DIRECTORY = load_units(Path("config/units.toml"))
SXD, SNV = "000.00.12.H50", "000.00.01.H50"  # Sở Xây dựng, Sở Nội vụ
D = "000.00.12.H50-250801-0001"
RECEIVED = datetime(2025, 8, 1, 2, 0, tzinfo=UTC)
DUE = datetime(2025, 8, 8, 10, 0, tzinfo=UTC)  # Friday 17:00 in Quảng Trị
AFTER = DUE + timedelta(days=3)
EMAIL = (ChannelName.EMAIL,)


def _facts(seq: int, unit: str = SXD, **extra: object) -> Facts:
    return Facts(
        dossier_id=D,
        unit_code=unit,
        procedure_code="1.004227",
        procedure_name="Cấp giấy phép xây dựng",
        received_at=RECEIVED,
        due_at=DUE,
        assignee_id="cb-1024",
        events_applied=seq,
        **extra,  # type: ignore[arg-type]
    )


def _ctx(now: datetime, approval: frozenset[str] = frozenset()) -> Context:
    return Context(
        now=now,
        directory=DIRECTORY,
        default_new_due=now + timedelta(days=7),
        applicant_not_before=now,
        office_not_before=now,
        approval_units=approval,
    )


def _fold(history: list[c.Command]) -> DossierState:
    return reduce(cases.fold, history, DossierState(dossier_id=D))


def _decide(
    history: list[c.Command], now: datetime, case: Letter | None = None, sent: bool = False
) -> Decision:
    on_record = CaseOnRecord(case, sent) if case is not None else None
    return cases.decide(_fold(history), on_record, EMAIL, _ctx(now))


def _issued(history: list[c.Command], now: datetime) -> Letter:
    made = _decide(history, now).case
    assert made is not None
    return made.model_copy(update={"id": 7, "number": 1})


def _kinds(decision: Decision) -> list[tuple[Kind, str]]:
    return sorted((n.kind, n.dedup_key.split(":")[1]) for n in decision.notifications)


BREACH = [c.Breached(_facts(5), DUE), c.Attributed(_facts(5), Cause.OFFICIAL_DELAY, 1, "overdue")]


def test_open_and_overdue_the_letter_says_not_delivered_with_a_date_to_come() -> None:
    decision = _decide(BREACH, AFTER)
    letter = decision.case
    assert letter is not None
    assert (letter.status, letter.unit_code, letter.cause) == (
        LetterStatus.ISSUED,
        SXD,
        Cause.OFFICIAL_DELAY,
    )
    assert letter.new_due_at > AFTER
    assert letter.ready_at is None
    assert decision.deliver is not None
    assert (Kind.REMINDER, "overdue") in _kinds(decision)
    assert decision.cancel == [f"reminder:window:{D}:"]


def test_finished_late_an_apology_stating_when_it_was_ready_no_new_date() -> None:
    done = DUE + timedelta(days=2)
    history = [*BREACH, c.Finished(_facts(6), done, "late"), c.FinishedLate(_facts(6), done)]
    letter = _decide(history, AFTER).case
    assert letter is not None
    assert letter.ready_at == done


def test_a_late_attribution_waits_for_the_finish_to_be_known() -> None:
    late = [c.Attributed(_facts(6), Cause.OFFICIAL_DELAY, 1, "late")]
    assert _decide(late, AFTER).case is None
    done = DUE + timedelta(hours=5)
    letter = _decide([*late, c.FinishedLate(_facts(6), done)], AFTER).case
    assert letter is not None
    assert letter.ready_at == done


def test_finished_early_with_a_second_supplement_request_no_letter_a_notice() -> None:
    done = DUE - timedelta(days=3)
    history = [
        c.FactsSeen(_facts(1)),
        c.FlagRaised(_facts(3), "supplement_requested_twice"),
        c.Finished(_facts(4), done, "late"),
        c.FinishedLate(_facts(4), done),
        c.Attributed(_facts(4), Cause.OFFICIAL_DELAY, 1, "late"),
    ]
    decision = _decide(history, AFTER)
    assert decision.case is None
    assert _kinds(decision) == [(Kind.NOTICE, "counted_late")]
    assert decision.notifications[0].recipient_role == "unit_head"


def test_transferred_then_overdue_the_processing_unit_issues() -> None:
    history = [
        c.FactsSeen(_facts(1, receiving_unit_code=SXD)),
        c.Transferred(D, SNV, RECEIVED + timedelta(days=1)),
        *BREACH,
    ]
    letter = _decide(history, AFTER).case
    assert letter is not None
    assert (letter.unit_code, letter.receiving_unit_code) == (SNV, SXD)


def test_an_older_transfer_replayed_does_not_move_the_dossier_back() -> None:
    history = [
        c.Transferred(D, SNV, RECEIVED + timedelta(days=2)),
        c.Transferred(D, SXD, RECEIVED + timedelta(days=1)),
        *BREACH,
    ]
    assert _fold(history).processing_unit == SNV


def test_pause_reschedule_breach_one_case_with_the_units_date() -> None:
    promised = AFTER + timedelta(days=5)
    ahead = [c.FactsSeen(_facts(1)), c.Rescheduled(D, promised, "Chờ kết quả đo đạc", DUE)]
    first = _issued(ahead, DUE - timedelta(days=1))
    assert (first.cause, first.new_due_at) == (Cause.RESCHEDULED, promised)
    later = _decide([*ahead, *BREACH], AFTER, first, sent=True)
    assert later.case is None  # the unit's own reason stands for an official delay
    assert later.amendment is not None
    assert later.amendment.action is Amendment.UNCHANGED


def test_a_reschedule_after_the_systems_letter_amends_it() -> None:
    first = _issued(BREACH, AFTER)
    promised = AFTER + timedelta(days=10)
    history = [*BREACH, c.Rescheduled(D, promised, "Chờ ý kiến liên ngành", AFTER)]
    decision = _decide(history, AFTER + timedelta(hours=2), first, sent=True)
    amended = decision.case
    assert amended is not None
    assert (amended.status, amended.new_due_at, amended.number) == (
        LetterStatus.AMENDED,
        promised,
        1,
    )
    assert decision.deliver is not None
    assert decision.deliver.tag == "a1"


def test_a_units_date_already_past_is_never_promised() -> None:
    history = [*BREACH, c.Rescheduled(D, DUE + timedelta(hours=1), "x", DUE)]
    letter = _decide(history, AFTER).case
    assert letter is not None
    assert letter.new_due_at > AFTER


def test_cause_revised_after_sending_amends_the_one_letter() -> None:
    first = _issued(BREACH, AFTER)
    history = [*BREACH, c.Attributed(_facts(5), Cause.SOFTWARE_ERROR, 2, "overdue")]
    decision = _decide(history, AFTER, first, sent=True)
    assert decision.case is not None
    assert (decision.case.cause, decision.case.status) == (
        Cause.SOFTWARE_ERROR,
        LetterStatus.AMENDED,
    )
    assert (Kind.NOTICE, "amended") in _kinds(decision)
    unsent = _decide(history, AFTER, first, sent=False)
    assert unsent.case is not None
    assert unsent.case.status is LetterStatus.ISSUED  # re-rendered in place


def test_verdict_overturned_before_sending_withdraws_silently() -> None:
    first = _issued(BREACH, AFTER)
    history = [*BREACH, c.VerdictRevised(_facts(9), "on_time", 1)]
    decision = _decide(history, AFTER, first, sent=False)
    assert decision.case is not None
    assert decision.case.status is LetterStatus.WITHDRAWN
    assert decision.withdraw is not None
    assert [n for n in decision.notifications if n.kind is Kind.NOTICE] == []


def test_verdict_overturned_after_sending_the_unit_head_is_told() -> None:
    first = _issued(BREACH, AFTER)
    history = [*BREACH, c.VerdictRevised(_facts(9), "on_time", 1)]
    decision = _decide(history, AFTER, first, sent=True)
    assert decision.case is not None
    assert decision.case.status is LetterStatus.WITHDRAWN
    assert (Kind.NOTICE, "letter_withdrawn") in _kinds(decision)


def test_an_older_announcement_does_not_undo_a_newer_verdict() -> None:
    history = [c.VerdictRevised(_facts(9), "on_time", 1), c.Breached(_facts(5), DUE)]
    assert _fold(history).timeliness == "on_time"
    assert _decide([*history, BREACH[1]], AFTER).case is None


def test_an_older_finished_late_replayed_after_a_revision_changes_nothing() -> None:
    done = DUE - timedelta(hours=2)
    history = [*BREACH, c.VerdictRevised(_facts(9), "on_time", 1), c.FinishedLate(_facts(6), done)]
    state = _fold(history)
    assert (state.timeliness, state.finished_at) == ("on_time", done)
    assert _decide(history, AFTER).case is None


def test_finished_on_time_no_letter() -> None:
    history = [c.FactsSeen(_facts(1)), c.Finished(_facts(3), DUE - timedelta(hours=1), "on_time")]
    decision = _decide(history, AFTER)
    assert (decision.case, decision.deliver, decision.notifications) == (None, None, [])
    assert decision.cancel == [f"reminder:window:{D}:", f"reminder:overdue:{D}:"]


def test_no_window_reminder_for_a_dossier_already_overdue() -> None:
    window = [c.WindowOpened(_facts(2))]
    assert _kinds(_decide(window, DUE - timedelta(hours=5))) == [(Kind.REMINDER, "window")]
    assert _kinds(_decide(window, AFTER)) == []


def test_an_official_dossier_contacts_brought_is_reminded_by_email_else_the_unit_head() -> None:
    facts = _facts(5).model_copy(update={"assignee_id": "cb-unknown"})
    state = _fold([c.Breached(facts, DUE)])
    assert DIRECTORY.official("cb-unknown") is None
    by_head = cases.decide(state, None, EMAIL, _ctx(AFTER))
    assert [(n.recipient_role, n.recipient_ref) for n in by_head.notifications] == [
        (RecipientRole.UNIT_HEAD, SXD)
    ]
    on_topic = replace(_ctx(AFTER), officials_on_topic=frozenset({"cb-unknown"}))
    reminded = cases.decide(state, None, EMAIL, on_topic).notifications
    assert [(n.recipient_role, n.recipient_ref, n.channel) for n in reminded] == [
        (RecipientRole.OFFICIAL, "cb-unknown", ChannelName.EMAIL)
    ]


def test_a_unit_without_a_head_holds_the_letter_and_approval_waits() -> None:
    unknown = _facts(5, unit="999.99.99.H50")
    state = _fold([c.Breached(unknown, DUE), c.Attributed(unknown, Cause.OFFICIAL_DELAY, 1)])
    held = cases.decide(state, None, EMAIL, _ctx(AFTER)).case
    assert held is not None
    assert held.status is LetterStatus.HELD
    approving = cases.decide(_fold(BREACH), None, EMAIL, _ctx(AFTER, frozenset({SXD})))
    assert approving.case is not None
    assert approving.case.status is LetterStatus.AWAITING_APPROVAL
    assert approving.deliver is None


def test_an_escalation_withdrawn_is_a_notice_to_dost() -> None:
    history = [
        *BREACH,
        c.EscalationOpened("esc-1", _facts(5), "software_error", "lỗi"),
        c.EscalationWithdrawn("esc-1", D, "software_error", "sla revised the verdict"),
    ]
    notes = {n.dedup_key: n for n in _decide(history, AFTER).notifications}
    assert notes["notice:escalation_withdrawn:esc-1"].recipient_role == "dost"
    assert notes["escalation:esc-1"].kind is Kind.ESCALATION

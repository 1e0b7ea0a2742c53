"""Letter cases, reminders and notices, decided from a dossier's whole state (docs/domain.md §5).

Pure: ``fold`` turns what notify has read about a dossier (sla's announcements and revisions,
the attribution and its revisions, transfers, the unit's reschedule, escalations) into its
``DossierState``; ``decide`` returns the changes that state calls for, given the dossier's letter
case, whether any of it was sent, the applicant's channels, the unit directory and the instant.
The intake use-case loads a batch, folds, decides and writes once.

The rules, in short: one letter case per dossier and appointment, issued by the unit processing
the dossier (after every transfer); it tells the truth when issued (open and overdue: not
delivered, the reason, the new date, the unit's own when it rescheduled, never a past one;
finished late: an apology stating when the result was ready); a dossier finished on time or
early, or judged on time after late events, gets no letter (a letter not yet sent is withdrawn,
one already sent is withdrawn and reported to the unit head); later facts amend the case, never
a second letter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dunghan_common.units import UnitDirectory
from pydantic import AwareDatetime, BaseModel, ConfigDict

from notify.domain import approval
from notify.domain import commands as c
from notify.domain.heads import head_email, head_notice
from notify.domain.letters import LOCAL, reason_for
from notify.domain.models import (
    Amendment,
    Cause,
    ChannelName,
    Facts,
    Kind,
    Letter,
    LetterStatus,
    NewNotification,
    RecipientRole,
)
from notify.domain.policy import (
    amendment_text,
    counted_late_text,
    escalation_text,
    escalation_withdrawn_text,
    letter_withdrawn_text,
    reminder_text,
)

_LETTER_CAUSES = frozenset({"official_delay", "software_error"})
_OPEN_LATE = "overdue"
_SERVED = frozenset({"early", "on_time", "within_time"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reschedule(_Frozen):
    """The unit's own new date and reason (`dossier.rescheduled`)."""

    new_due_at: AwareDatetime
    reason: str
    at: AwareDatetime | None = None


class Escalation(_Frozen):
    """An escalation to DOST about this dossier, and why it was withdrawn, if it was."""

    id: str
    cause: str
    summary: str = ""
    withdrawn_reason: str | None = None


class DossierState(_Frozen):
    """Everything notify knows of one dossier, no personal data.

    ``facts`` are the newest sla told (``seq`` = its ``events_applied``), ``appointment`` the
    first due date known (the letter case's key), ``unit_code`` the processing unit after the
    last transfer (None: the facts' unit).
    """

    dossier_id: str
    facts: Facts | None = None
    seq: int = -1
    appointment: AwareDatetime | None = None
    timeliness: str | None = None
    finished_at: AwareDatetime | None = None
    breached_at: AwareDatetime | None = None
    window_opened: bool = False
    supplement_twice: bool = False
    reschedule: Reschedule | None = None
    cause: str | None = None
    cause_revision: int = 0
    unit_code: str | None = None
    unit_at: AwareDatetime | None = None
    assignee_id: str | None = None
    escalations: tuple[Escalation, ...] = ()

    @property
    def processing_unit(self) -> str | None:
        """The unit processing the dossier now: the last transfer's, else the facts'."""
        return self.unit_code or (self.facts.unit_code if self.facts else None)

    @property
    def assignee(self) -> str | None:
        """The assigned official: the last assignment's, else the facts'."""
        return self.assignee_id or (self.facts.assignee_id if self.facts else None)


# --- fold ---------------------------------------------------------------------------------------


def _newer(state: DossierState, facts: Facts) -> bool:
    """Whether an announcement's facts are at least as new as the ones kept."""
    return facts.events_applied is None or facts.events_applied >= state.seq


def _seen(state: DossierState, facts: Facts) -> tuple[DossierState, bool]:
    """Keep the facts if newer; return the state and whether they were."""
    newer = _newer(state, facts)
    known = state.facts
    if newer:
        if known is not None and facts.receiving_unit_code is None and known.receiving_unit_code:
            facts = facts.model_copy(update={"receiving_unit_code": known.receiving_unit_code})
        seq = state.seq if facts.events_applied is None else facts.events_applied
        state = state.model_copy(update={"facts": facts, "seq": seq})
    if state.appointment is None:
        state = state.model_copy(update={"appointment": facts.due_at})
    return state, newer


def fold(state: DossierState, cmd: c.Command) -> DossierState:  # noqa: C901 - a dispatch table
    """The dossier's state after one command (contacts are kept apart: personal data)."""
    match cmd:
        case c.FactsSeen():
            if state.facts is None:
                return _seen(state, cmd.facts)[0]
            return state
        case c.Rescheduled():
            at = cmd.at
            if (
                state.reschedule is not None
                and at
                and state.reschedule.at
                and at < state.reschedule.at
            ):
                return state
            return state.model_copy(
                update={
                    "reschedule": Reschedule(new_due_at=cmd.new_due_at, reason=cmd.reason, at=at)
                }
            )
        case c.Transferred():
            if state.unit_at is not None and cmd.at < state.unit_at:
                return state
            update: dict[str, object] = {"unit_at": cmd.at}
            if cmd.unit_code:
                update["unit_code"] = cmd.unit_code
            if cmd.assignee_id:
                update["assignee_id"] = cmd.assignee_id
            return state.model_copy(update=update)
        case c.WindowOpened():
            return _seen(state, cmd.facts)[0].model_copy(update={"window_opened": True})
        case c.Breached():
            state, newer = _seen(state, cmd.facts)
            update = {"breached_at": state.breached_at or cmd.at}
            if newer:
                update |= {"timeliness": _OPEN_LATE, "finished_at": None}
            return state.model_copy(update=update)
        case c.FinishedLate() | c.Finished():
            state, newer = _seen(state, cmd.facts)
            timeliness = cmd.timeliness if isinstance(cmd, c.Finished) else "late"
            if newer:
                return state.model_copy(update={"timeliness": timeliness, "finished_at": cmd.at})
            if state.finished_at is None:  # when it finished; the newer verdict stands
                return state.model_copy(update={"finished_at": cmd.at})
            return state
        case c.VerdictRevised():
            state, newer = _seen(state, cmd.facts)
            if not newer:
                return state
            update = {"timeliness": cmd.timeliness}
            if cmd.timeliness in ("within_time", "overdue"):
                update["finished_at"] = None
            return state.model_copy(update=update)
        case c.FlagRaised():
            state = _seen(state, cmd.facts)[0]
            if cmd.flag == "supplement_requested_twice":
                state = state.model_copy(update={"supplement_twice": True})
            return state
        case c.Attributed() | c.Unattributed():
            state = _seen(state, cmd.facts)[0]
            cause = cmd.cause.value if isinstance(cmd.cause, Cause) else cmd.cause
            if cmd.revision > state.cause_revision:
                state = state.model_copy(update={"cause": cause, "cause_revision": cmd.revision})
            if state.timeliness is None:
                state = state.model_copy(update={"timeliness": cmd.local_timeliness or _OPEN_LATE})
            return state
        case c.EscalationOpened():
            state = _seen(state, cmd.facts)[0]
            if any(e.id == cmd.escalation_id for e in state.escalations):
                return state
            opened = Escalation(id=cmd.escalation_id, cause=cmd.cause, summary=cmd.summary)
            return state.model_copy(update={"escalations": (*state.escalations, opened)})
        case c.EscalationWithdrawn():
            known = {e.id: e for e in state.escalations}
            found = known.get(cmd.escalation_id) or Escalation(
                id=cmd.escalation_id, cause=cmd.cause
            )
            known[cmd.escalation_id] = found.model_copy(update={"withdrawn_reason": cmd.reason})
            return state.model_copy(update={"escalations": tuple(known.values())})
        case c.FactsOnly():
            return _seen(state, cmd.facts)[0]
    return state


# --- decide -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the decision needs besides the dossier: the instant, the directory, the calendar's
    answers for this instant, the units that approve their letters first, and the officials
    whose email `dossier-contacts` brought."""

    now: datetime
    directory: UnitDirectory
    default_new_due: datetime
    applicant_not_before: datetime
    office_not_before: datetime
    approval_units: frozenset[str] = frozenset()
    officials_on_topic: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CaseOnRecord:
    """The dossier's letter case as stored, and whether any of its deliveries went out."""

    letter: Letter
    sent: bool


@dataclass(frozen=True)
class Deliver:
    """Queue the case's letter to the applicant's channels (and the copy), with this tag."""

    channels: tuple[ChannelName, ...]
    not_before: datetime
    tag: str = ""


@dataclass(frozen=True)
class AmendmentRow:
    """A cause revision recorded against the case."""

    revision: int
    from_cause: str
    to_cause: str
    action: Amendment


@dataclass(frozen=True)
class Decision:
    """The changes one dossier's state calls for.

    ``case``: the letter case to insert (``id`` None) or to store as it now is; ``withdraw``:
    the reason to withdraw its queued deliveries; ``requeue``: put withdrawn ones back in line;
    ``cancel``: dedup-key prefixes of pending reminders that no longer hold.
    """

    case: Letter | None = None
    deliver: Deliver | None = None
    withdraw: str | None = None
    requeue: bool = False
    amendment: AmendmentRow | None = None
    notifications: list[NewNotification] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)


def letter_truth(state: DossierState, now: datetime) -> str | None:
    """What the letter must say now: ``open_late``, ``finished_late``, ``ahead`` (the unit
    rescheduled before the due date), ``served`` (no letter), or None (nothing to say yet)."""
    if state.facts is None:
        return None
    due = state.facts.due_at
    if state.cause in ("sync_error", "none"):
        return "served"
    if state.finished_at is not None:
        if state.finished_at > due and state.timeliness not in _SERVED:
            return "finished_late"
        return "served" if state.timeliness is not None else None
    if state.timeliness in ("early", "on_time"):
        return "served"  # judged finished by the due date after late events
    if state.timeliness == "late":
        return None  # finished late, but when is not known yet: the letter must say it
    if state.timeliness == "within_time" and now <= due:
        return "ahead" if state.reschedule is not None else "served"
    if state.timeliness == _OPEN_LATE or now > due:
        return "open_late"
    return "ahead" if state.reschedule is not None else None


def counted_late_though_served(state: DossierState) -> bool:
    """Finished by the due date, yet counted late for the index (a second supplement request)."""
    f = state.facts
    return (
        f is not None
        and state.finished_at is not None
        and state.timeliness == "late"
        and state.finished_at <= f.due_at
    )


def _letter_cause(state: DossierState) -> Cause | None:
    if state.cause == "software_error":
        return Cause.SOFTWARE_ERROR
    if state.reschedule is not None:
        return Cause.RESCHEDULED
    if state.cause == "official_delay":
        return Cause.OFFICIAL_DELAY
    return None


def _promised(state: DossierState, now: datetime) -> datetime | None:
    """The unit's own new date, if it gave one that is not already past."""
    promised = state.reschedule.new_due_at if state.reschedule else None
    if promised is None and state.facts is not None:
        promised = state.facts.promised_due_at
    return promised if promised is not None and promised > now else None


def decide(
    state: DossierState,
    case: CaseOnRecord | None,
    channels: tuple[ChannelName, ...],
    ctx: Context,
) -> Decision:
    """The letters, reminders and notices ``state`` calls for (see the module's rules)."""
    if state.facts is None:
        return Decision()
    notes = _reminders(state, ctx) + _escalations(state, ctx)
    cancel = [f"reminder:window:{state.dossier_id}:"] if state.timeliness == _OPEN_LATE else []
    if letter_truth(state, ctx.now) == "served":  # not late after all: no one is chased
        cancel = [f"reminder:{which}:{state.dossier_id}:" for which in ("window", "overdue")]
    if counted_late_though_served(state):
        notes += _counted_late(state, ctx)
    out = _case(state, case, channels, ctx)
    return Decision(
        case=out.case,
        deliver=out.deliver,
        withdraw=out.withdraw,
        requeue=out.requeue,
        amendment=out.amendment,
        notifications=notes + out.notifications,
        cancel=cancel,
    )


def _case(
    state: DossierState,
    on_record: CaseOnRecord | None,
    channels: tuple[ChannelName, ...],
    ctx: Context,
) -> Decision:
    """The letter case's part of the decision: open, keep, amend, withdraw or revive it."""
    truth = letter_truth(state, ctx.now)
    cause = _letter_cause(state)
    wanted = truth in ("open_late", "finished_late") and cause is not None
    wanted = wanted or (truth == "ahead" and cause is Cause.RESCHEDULED)
    if on_record is None:
        if not wanted or cause is None:
            return Decision()
        return _open_case(state, cause, truth == "finished_late", channels, ctx)
    letter, sent = on_record.letter, on_record.sent
    if not wanted or cause is None:
        if truth is None or letter.status is LetterStatus.WITHDRAWN:
            return Decision()
        return _withdraw(state, letter, sent, ctx)
    if letter.status in (LetterStatus.HELD, LetterStatus.AWAITING_APPROVAL):
        return Decision(case=_content(letter, state, cause, truth, ctx, sent=False))
    if letter.status is LetterStatus.WITHDRAWN:
        return _revive(state, letter, sent, cause, truth, channels, ctx)
    updated = _content(letter, state, cause, truth, ctx, sent)
    row = _amendment_row(state, letter, cause, sent)
    if updated == letter:
        return Decision(deliver=_deliver(letter, channels, ctx), amendment=row)
    if not sent:
        return Decision(case=updated, deliver=_deliver(updated, channels, ctx), amendment=row)
    amended = updated.model_copy(
        update={"status": LetterStatus.AMENDED, "amendments": letter.amendments + 1}
    )
    notes = _amended_notice(state, letter, amended, ctx)
    deliver = Deliver(channels, ctx.applicant_not_before, f"a{amended.amendments}")
    return Decision(case=amended, deliver=deliver, amendment=row, notifications=notes)


def _withdraw(state: DossierState, letter: Letter, sent: bool, ctx: Context) -> Decision:
    """No letter is due after all: withdrawn; the unit head is told if it had been sent."""
    row = _amendment_row(state, letter, None, sent)
    withdrawn = letter.model_copy(
        update={"status": LetterStatus.WITHDRAWN, "withdrawn_at": ctx.now, "held_at": None}
    )
    notes = _letter_withdrawn(state, letter, ctx) if sent else []
    why = "withdrawn: the dossier is not late locally"
    return Decision(case=withdrawn, withdraw=why, amendment=row, notifications=notes)


def _revive(
    state: DossierState,
    letter: Letter,
    sent: bool,
    cause: Cause,
    truth: str | None,
    channels: tuple[ChannelName, ...],
    ctx: Context,
) -> Decision:
    """Late after all: the withdrawn case comes back (its deliveries back in line, or, once
    something had been sent, delivered again as amended); held if its unit left the directory;
    awaiting approval again, if nothing had been sent, at a unit that approves its letters."""
    revived = _content(letter, state, cause, truth, ctx, sent=False)
    back = LetterStatus.AMENDED if sent else LetterStatus.ISSUED
    revived = revived.model_copy(update={"status": back, "withdrawn_at": None})
    row = _amendment_row(state, letter, cause, sent)
    if ctx.directory.signing_unit(letter.unit_code) is None:
        held = {"status": LetterStatus.HELD, "held_at": ctx.now}
        return Decision(case=revived.model_copy(update=held), amendment=row)
    if not sent and letter.unit_code in ctx.approval_units:  # approved again before it goes
        waiting = revived.model_copy(update={"status": LetterStatus.AWAITING_APPROVAL})
        notes = approval.wanted(waiting, ctx.directory, ctx.office_not_before)
        return Decision(case=waiting, amendment=row, notifications=notes)
    if sent:
        revived = revived.model_copy(update={"amendments": letter.amendments + 1})
        deliver = Deliver(channels, ctx.applicant_not_before, f"a{revived.amendments}")
        return Decision(case=revived, deliver=deliver, amendment=row)
    deliver_now = _deliver(revived, channels, ctx)
    return Decision(case=revived, requeue=True, deliver=deliver_now, amendment=row)


def _deliver(letter: Letter, channels: tuple[ChannelName, ...], ctx: Context) -> Deliver | None:
    """The case's current deliveries (idempotent by key), while it is issued or amended."""
    if letter.status not in (LetterStatus.ISSUED, LetterStatus.AMENDED):
        return None
    tag = f"a{letter.amendments}" if letter.amendments else ""
    return Deliver(channels, ctx.applicant_not_before, tag)


def _content(
    letter: Letter, state: DossierState, cause: Cause, truth: str | None, ctx: Context, sent: bool
) -> Letter:
    """The case with what it must say now.

    A sent letter was true when issued: only a new cause or the unit's new date amend it; a
    letter not yet sent also takes the finished-late text.
    """
    reason = reason_for(cause, state.reschedule.reason if state.reschedule else None)
    update: dict[str, object] = {}
    keeps = letter.cause is Cause.RESCHEDULED and cause is Cause.OFFICIAL_DELAY
    if cause is not letter.cause and not keeps:
        update |= {"cause": cause, "reason": reason}
    elif cause is Cause.RESCHEDULED and letter.reason != reason and not sent:
        update["reason"] = reason
    promised = _promised(state, ctx.now)
    if truth != "finished_late" and promised is not None and promised != letter.new_due_at:
        update["new_due_at"] = promised
        if letter.cause is not Cause.RESCHEDULED and cause is Cause.RESCHEDULED:
            update |= {"cause": cause, "reason": reason}
    if truth == "finished_late" and letter.ready_at is None and not sent:
        update["ready_at"] = state.finished_at
    return letter.model_copy(update=update) if update else letter


def _amendment_row(
    state: DossierState, letter: Letter, cause: Cause | None, sent: bool
) -> AmendmentRow | None:
    """A cause revision newer than the one the case reflects, and what it did."""
    if state.cause_revision <= letter.revision or state.cause is None:
        return None
    if cause is None:
        action = Amendment.RECORDED if sent else Amendment.WITHDRAWN
    elif cause is letter.cause or (
        letter.cause is Cause.RESCHEDULED and cause is Cause.OFFICIAL_DELAY
    ):
        action = Amendment.UNCHANGED
    else:
        action = Amendment.AMENDED if sent else Amendment.RERENDERED
    return AmendmentRow(state.cause_revision, letter.cause.value, state.cause, action)


def _open_case(
    state: DossierState,
    cause: Cause,
    finished: bool,
    channels: tuple[ChannelName, ...],
    ctx: Context,
) -> Decision:
    """A new letter case from the processing unit: held, awaiting approval, or issued."""
    facts = state.facts
    assert facts is not None
    assert state.appointment is not None
    unit = state.processing_unit or facts.unit_code
    status = _issuing_status(unit, ctx.directory, ctx.approval_units)
    new_due = _promised(state, ctx.now) or ctx.default_new_due
    letter = Letter(
        dossier_id=state.dossier_id,
        unit_code=unit,
        number=0,  # the store numbers it (per unit and year, no gaps)
        year=ctx.now.astimezone(LOCAL).year,
        issued_at=ctx.now,
        cause=cause,
        reason=reason_for(cause, state.reschedule.reason if state.reschedule else None),
        procedure_name=facts.procedure_name or facts.procedure_code,
        received_at=facts.received_at,
        due_at=state.appointment,
        new_due_at=state.finished_at if finished and state.finished_at else new_due,
        revision=state.cause_revision,
        receiving_unit_code=facts.receiving_unit_code,
        held_at=ctx.now if status is LetterStatus.HELD else None,
        status=status,
        ready_at=state.finished_at if finished else None,
    )
    notes = approval.wanted(letter, ctx.directory, ctx.office_not_before)
    return Decision(case=letter, deliver=_deliver(letter, channels, ctx), notifications=notes)


def _issuing_status(
    unit_code: str, directory: UnitDirectory, approval_units: frozenset[str]
) -> LetterStatus:
    """Held while the unit has no complete directory entry; then awaiting its head's approval
    when the unit approves its letters first; else issued."""
    if directory.signing_unit(unit_code) is None:
        return LetterStatus.HELD
    if unit_code in approval_units:
        return LetterStatus.AWAITING_APPROVAL
    return LetterStatus.ISSUED


def release(
    letter: Letter, directory: UnitDirectory, approval_units: frozenset[str]
) -> LetterStatus | None:
    """What a held letter becomes now: awaiting approval when its unit approves its letters
    first (the hold never skips the approval), issued otherwise; None while it stays held (or
    is no longer held)."""
    if letter.status is not LetterStatus.HELD:
        return None
    status = _issuing_status(letter.unit_code, directory, approval_units)
    return None if status is LetterStatus.HELD else status


# --- reminders and notices ----------------------------------------------------------------------


def _to_head(
    key: str, state: DossierState, unit_code: str, subject: str, body: str, ctx: Context
) -> list[NewNotification]:
    notice = head_notice(
        key, state.dossier_id, unit_code, ctx.directory, subject, body, ctx.office_not_before
    )
    return [notice] if notice is not None else []


def _reminders(state: DossierState, ctx: Context) -> list[NewNotification]:
    """To the assigned official: the window reminder (never once overdue), the overdue one."""
    facts = state.facts
    assert facts is not None
    whiches = []
    overdue_now = state.timeliness == _OPEN_LATE or (
        state.finished_at is None and ctx.now > facts.due_at
    )
    if state.window_opened and state.finished_at is None and not overdue_now:
        whiches.append("window")
    if state.breached_at is not None and state.timeliness not in _SERVED:
        whiches.append("overdue")
    if not whiches:
        return []
    role, ref, channel = _official_target(state, ctx)
    if channel is None:
        return []
    unit = state.processing_unit or facts.unit_code
    out = []
    for which in whiches:
        subject, body = reminder_text(
            which, state.dossier_id, facts.procedure_name or facts.procedure_code, facts.due_at
        )
        due = (state.appointment or facts.due_at).isoformat()
        out.append(
            NewNotification(
                dedup_key=f"reminder:{which}:{state.dossier_id}:{due}:{ref}",
                kind=Kind.REMINDER,
                dossier_id=state.dossier_id,
                unit_code=unit,
                recipient_role=role,
                recipient_ref=ref,
                channel=channel,
                subject=subject,
                body=body,
                not_before=ctx.office_not_before,
            )
        )
    return out


def _official_target(
    state: DossierState, ctx: Context
) -> tuple[RecipientRole, str, ChannelName | None]:
    """The assigned official by email when `dossier-contacts` or the directory has their
    address, else by SMS from the directory; the processing unit's head when neither knows
    them."""
    if state.assignee and state.assignee in ctx.officials_on_topic:
        return RecipientRole.OFFICIAL, state.assignee, ChannelName.EMAIL
    official = ctx.directory.official(state.assignee or "")
    if official is not None:
        by_email = ChannelName.EMAIL if official.email else None
        return (
            RecipientRole.OFFICIAL,
            official.id,
            by_email or (ChannelName.SMS if official.phone else None),
        )
    unit = state.processing_unit or ""
    head = ChannelName.EMAIL if head_email(ctx.directory, unit) else None
    return RecipientRole.UNIT_HEAD, unit, head


def _escalations(state: DossierState, ctx: Context) -> list[NewNotification]:
    """DOST hears of an escalation at once, and of its withdrawal (a notice), at any hour."""
    unit = state.processing_unit
    out = []
    for e in state.escalations:
        if e.summary or e.withdrawn_reason is None:
            out.append(
                NewNotification(
                    dedup_key=f"escalation:{e.id}",
                    kind=Kind.ESCALATION,
                    dossier_id=state.dossier_id,
                    unit_code=unit,
                    recipient_role=RecipientRole.DOST,
                    recipient_ref=e.id,
                    channel=ChannelName.WEBHOOK,
                    subject=f"Kiến nghị xử lý lỗi {e.cause}: hồ sơ {state.dossier_id}",
                    body=escalation_text(e.id, state.dossier_id, e.cause, e.summary),
                    not_before=ctx.now,
                )
            )
        if e.withdrawn_reason is not None:
            subject, body = escalation_withdrawn_text(
                e.id, state.dossier_id, e.cause, e.withdrawn_reason
            )
            out.append(
                NewNotification(
                    dedup_key=f"notice:escalation_withdrawn:{e.id}",
                    kind=Kind.NOTICE,
                    dossier_id=state.dossier_id,
                    unit_code=unit,
                    recipient_role=RecipientRole.DOST,
                    recipient_ref=e.id,
                    channel=ChannelName.WEBHOOK,
                    subject=subject,
                    body=body,
                    not_before=ctx.now,
                )
            )
    return out


def _counted_late(state: DossierState, ctx: Context) -> list[NewNotification]:
    facts = state.facts
    assert facts is not None
    assert state.finished_at is not None
    unit = state.processing_unit or facts.unit_code
    subject, body = counted_late_text(state.dossier_id, facts.due_at, state.finished_at)
    return _to_head(f"notice:counted_late:{state.dossier_id}", state, unit, subject, body, ctx)


def _number(letter: Letter, ctx: Context) -> str:
    unit = ctx.directory.unit(letter.unit_code)
    short = unit.short_name() if unit is not None else letter.unit_code
    return f"{letter.number:02d}/PXL-{short} ({letter.year})"


def _letter_withdrawn(state: DossierState, letter: Letter, ctx: Context) -> list[NewNotification]:
    subject, body = letter_withdrawn_text(state.dossier_id, _number(letter, ctx))
    key = f"notice:letter_withdrawn:{letter.id}"
    return _to_head(key, state, letter.unit_code, subject, body, ctx)


def _amended_notice(
    state: DossierState, before: Letter, after: Letter, ctx: Context
) -> list[NewNotification]:
    subject, body = amendment_text(
        state.dossier_id, _number(before, ctx), before.cause.value, after.cause.value
    )
    key = f"notice:amended:{before.id}:{after.amendments}"
    return _to_head(key, state, before.unit_code, subject, body, ctx)

"""Intake: turn alerts, findings, reschedules and contacts into letters and queued notifications.

One batch is one transaction; work on a dossier is serialised by an advisory lock, so two
consumers (redelivery, a replaying group) cannot write two letters or skip a letter number.
The batch runs on the unit's staged store: its dossiers are locked and read up front and what
the commands decide is written in a few set-based statements at commit (see adapters/sql_staged);
the commands themselves are applied in order, one after the other, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from notify.domain.letters import LOCAL, reason_for
from notify.domain.models import (
    Cause,
    ChannelName,
    Facts,
    Kind,
    Letter,
    LetterRequest,
    NewNotification,
    RecipientRole,
)
from notify.domain.policy import escalation_text, reminder_text
from notify.ports import (
    Clock,
    IntakeStore,
    Sealer,
    UnitDirectoryProvider,
    UnitOfWorkFactory,
    WorkingCalendar,
)
from notify.usecases import commands as c
from notify.usecases.amend import AmendContext, amend_letter
from notify.usecases.letter_jobs import letter_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakePolicy:
    """The settings intake needs."""

    reschedule_working_days: int = 5
    applicant_office_hours_only: bool = True


class Intake:
    """Applies decoded commands, one transaction per batch."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sealer: Sealer,
        calendar: WorkingCalendar,
        clock: Clock,
        directory: UnitDirectoryProvider,
        policy: IntakePolicy,
    ) -> None:
        self._uow, self._sealer, self._calendar = uow, sealer, calendar
        self._clock, self._directory, self._policy = clock, directory, policy

    async def apply(self, commands: list[c.Command]) -> None:
        """Apply a batch of commands atomically."""
        async with self._uow() as unit:
            store = await unit.staged({c.dossier_of(command) for command in commands})
            for command in commands:
                await self._one(store, command)
            await unit.commit()

    async def _one(self, store: IntakeStore, cmd: c.Command) -> None:  # noqa: C901 - a dispatch table
        match cmd:
            case c.ContactReceived():
                await self._contact(store, cmd)
            case c.OfficialContactReceived():
                sealed = self._sealer.seal(cmd.fields)
                await store.save_official_contact(cmd.official_id, sealed, cmd.time)
            case c.ContactDeleted():
                await store.delete_contact(cmd.dossier_id)
            case c.FactsSeen():
                await self._facts(store, self._with_due(cmd), overwrite=False)
            case c.FactsOnly():
                await self._facts(store, cmd.facts, overwrite=True)
            case c.Rescheduled():
                await self._rescheduled(store, cmd)
            case c.WindowOpened():
                await self._facts(store, cmd.facts, overwrite=True)
                await self._remind(store, cmd.facts, "window")
            case c.Breached():
                await self._facts(store, cmd.facts, overwrite=True)
                await store.mark_breached(cmd.facts.dossier_id, cmd.at)
                await self._remind(store, cmd.facts, "overdue")
            case c.FinishedLate() | c.Finished():
                await self._facts(store, cmd.facts, overwrite=True)
                await store.mark_finished(cmd.facts.dossier_id, cmd.at)
            case c.Attributed():
                facts = await self._facts(store, cmd.facts, overwrite=True)
                request = LetterRequest(
                    dossier_id=cmd.facts.dossier_id, cause=cmd.cause, revision=cmd.revision
                )
                await self._issue(store, request, facts)
            case c.Unattributed():
                await self._facts(store, cmd.facts, overwrite=True)
                found = await store.letter_for(cmd.facts.dossier_id, cmd.facts.due_at)
                if found is not None:
                    await amend_letter(store, found, cmd.cause, cmd.revision, self._amending())
            case c.EscalationOpened():
                await self._facts(store, cmd.facts, overwrite=True)
                await self._escalate(store, cmd)

    def _with_due(self, cmd: c.FactsSeen) -> Facts:
        """The facts with the due date computed when the source printed none."""
        if cmd.time_limit is None:
            return cmd.facts
        value, unit = cmd.time_limit
        start = self._calendar.clock_start(cmd.facts.received_at)
        return cmd.facts.model_copy(update={"due_at": self._calendar.due_at(start, value, unit)})

    async def _facts(self, store: IntakeStore, facts: Facts, overwrite: bool) -> Facts:
        """Keep the facts, and complete a letter held for them; return the facts kept."""
        await store.lock_dossier(facts.dossier_id)
        if overwrite and facts.receiving_unit_code is None:
            # A finding that does not name the receiving unit does not forget it (the copy's).
            known = await store.get_facts(facts.dossier_id)
            if known is not None and known.receiving_unit_code:
                facts = facts.model_copy(update={"receiving_unit_code": known.receiving_unit_code})
        await store.save_facts(facts, overwrite)
        held = await store.take_held_letter(facts.dossier_id)
        if held is not None:
            known = await store.get_facts(facts.dossier_id)
            await self._issue(store, held, known or facts)
        return facts

    async def _rescheduled(self, store: IntakeStore, cmd: c.Rescheduled) -> None:
        request = LetterRequest(
            dossier_id=cmd.dossier_id,
            cause=Cause.RESCHEDULED,
            reason=cmd.reason,
            new_due_at=cmd.new_due_at,
        )
        await store.lock_dossier(cmd.dossier_id)
        facts = await store.get_facts(cmd.dossier_id)
        if facts is None:
            await store.hold_letter(request)
            return
        await self._issue(store, request, facts)

    async def _issue(self, store: IntakeStore, request: LetterRequest, facts: Facts) -> None:
        """Write the one letter of (dossier, due date) and queue its deliveries."""
        await store.lock_dossier(facts.dossier_id)
        existing = await store.letter_for(facts.dossier_id, facts.due_at)
        if existing is not None:
            if request.revision:  # a later attribution; a reschedule never revises a letter
                await amend_letter(
                    store, existing, request.cause.value, request.revision, self._amending()
                )
            return
        now = self._clock.now()
        # No placeholder letter: without a complete directory entry the letter is held.
        held = self._directory.current().signing_unit(facts.unit_code) is None
        new_due = request.new_due_at or self._calendar.add_working_days(
            now, self._policy.reschedule_working_days
        )
        letter = Letter(
            dossier_id=facts.dossier_id,
            unit_code=facts.unit_code,
            number=0,  # the store numbers it (per unit and year, no gaps)
            year=now.astimezone(LOCAL).year,
            issued_at=now,
            cause=request.cause,
            reason=reason_for(request.cause, request.reason),
            procedure_name=facts.procedure_name or facts.procedure_code,
            received_at=facts.received_at,
            due_at=facts.due_at,
            new_due_at=new_due,
            revision=request.revision,
            receiving_unit_code=facts.receiving_unit_code,
            held_at=now if held else None,
        )
        letter_id = await store.insert_letter(letter)
        if letter_id is None:
            return
        if held:
            log.warning("letter held: unit not in the directory", extra={"unit": facts.unit_code})
            return
        letter = letter.model_copy(update={"id": letter_id})
        channels = await store.contact_channels(facts.dossier_id)
        await store.add_notifications(self._letter_jobs(letter, channels, with_copy=True))

    def _applicant_time(self) -> datetime:
        """When a letter may go to an applicant: the next opening, unless configured otherwise."""
        now = self._clock.now()
        return self._calendar.next_opening(now) if self._policy.applicant_office_hours_only else now

    def _amending(self) -> AmendContext:
        now = self._clock.now()
        return AmendContext(
            now,
            self._applicant_time(),
            self._calendar.next_opening(now),
            self._directory.current(),
        )

    def _letter_jobs(
        self, letter: Letter, channels: list[ChannelName], with_copy: bool
    ) -> list[NewNotification]:
        """The letter to the applicant (each channel they have) and its service-centre copy."""
        directory = self._directory.current()
        return letter_jobs(letter, channels, directory, self._applicant_time(), with_copy)

    async def _contact(self, store: IntakeStore, cmd: c.ContactReceived) -> None:
        """Seal and keep a contact, however old the dossier (retention runs from the end of the
        need, docs/domain.md §9); queue the letters already issued to reach them."""
        channels = [ChannelName.EMAIL] if cmd.fields.get("email") else []
        channels += [ChannelName.SMS] if cmd.fields.get("phone") else []
        await store.lock_dossier(cmd.dossier_id)
        await store.save_contact(cmd.dossier_id, self._sealer.seal(cmd.fields), channels)
        for letter in await store.letters_of(cmd.dossier_id):
            if letter.held_at is not None:
                continue  # queued when released
            await store.add_notifications(self._letter_jobs(letter, channels, with_copy=False))
            if letter.withdrawn_at is not None and letter.id is not None:
                # Not late after all: the new way to reach them waits, withdrawn, with the rest.
                why = "withdrawn: the dossier is not late locally"
                await store.withdraw_jobs(letter.id, self._clock.now(), why)

    async def _remind(self, store: IntakeStore, facts: Facts, which: str) -> None:
        """Remind the assigned official (or the unit head when unknown), in office hours."""
        known = bool(facts.assignee_id) and await store.has_official_contact(
            facts.assignee_id or ""
        )
        role, ref, channel = self._official_target(facts, known)
        if channel is None:
            log.warning("no reminder target", extra={"unit": facts.unit_code})
            return
        subject, body = reminder_text(
            which, facts.dossier_id, facts.procedure_name or facts.procedure_code, facts.due_at
        )
        key = f"reminder:{which}:{facts.dossier_id}:{facts.due_at.isoformat()}:{ref}"
        await store.add_notifications(
            [
                NewNotification(
                    dedup_key=key,
                    kind=Kind.REMINDER,
                    dossier_id=facts.dossier_id,
                    unit_code=facts.unit_code,
                    recipient_role=role,
                    recipient_ref=ref,
                    channel=channel,
                    subject=subject,
                    body=body,
                    not_before=self._calendar.next_opening(self._clock.now()),
                )
            ]
        )

    def _official_target(
        self, facts: Facts, on_topic: bool
    ) -> tuple[RecipientRole, str, ChannelName | None]:
        """The official by email when `dossier-contacts` or the directory has their address,
        else by SMS from the directory; the unit head when neither knows them."""
        directory = self._directory.current()
        official = directory.official(facts.assignee_id or "")
        if on_topic and facts.assignee_id:
            return RecipientRole.OFFICIAL, facts.assignee_id, ChannelName.EMAIL
        if official is not None:
            by_email = ChannelName.EMAIL if official.email else None
            return (
                RecipientRole.OFFICIAL,
                official.id,
                by_email or (ChannelName.SMS if official.phone else None),
            )
        unit = directory.unit(facts.unit_code)
        head = ChannelName.EMAIL if unit and unit.head and unit.head.email else None
        return RecipientRole.UNIT_HEAD, facts.unit_code, head

    async def _escalate(self, store: IntakeStore, cmd: c.EscalationOpened) -> None:
        """Notify DOST at once (webhook), whatever the hour."""
        subject = f"Kiến nghị xử lý lỗi {cmd.cause}: hồ sơ {cmd.facts.dossier_id}"
        await store.add_notifications(
            [
                NewNotification(
                    dedup_key=f"escalation:{cmd.escalation_id}",
                    kind=Kind.ESCALATION,
                    dossier_id=cmd.facts.dossier_id,
                    unit_code=cmd.facts.unit_code,
                    recipient_role=RecipientRole.DOST,
                    recipient_ref=cmd.escalation_id,
                    channel=ChannelName.WEBHOOK,
                    subject=subject,
                    body=escalation_text(
                        cmd.escalation_id, cmd.facts.dossier_id, cmd.cause, cmd.summary
                    ),
                    not_before=self._clock.now(),
                )
            ]
        )

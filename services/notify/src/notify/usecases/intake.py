"""Intake: load a batch's dossiers, fold what was read into their state, decide, write once.

One batch is one transaction. Its dossiers are locked and read up front (states, letter cases,
whether anything of a case was sent, contact channels); each command is folded into its
dossier's state (``domain/cases.fold``); each touched dossier's state is then decided
(``domain/cases.decide``: letter cases, reminders, notices) and everything is written in a few
set-based statements. Two consumers (redelivery, a replaying group) serialise on the dossier
locks, and every queued notification has a dedup key: replays change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from notify.domain import cases
from notify.domain.cases import CaseOnRecord, Context, Decision, DossierState
from notify.domain.models import ChannelName, Facts, Letter, LetterStatus
from notify.ports import (
    BatchRead,
    BatchStore,
    BatchWrite,
    Clock,
    Sealer,
    UnitDirectoryProvider,
    UnitOfWorkFactory,
    WorkingCalendar,
)
from notify.usecases import commands as c
from notify.usecases.letter_jobs import letter_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakePolicy:
    """The settings intake needs."""

    reschedule_working_days: int = 5
    applicant_office_hours_only: bool = True
    #: units whose head approves each letter before it is sent (default: none).
    approval_units: frozenset[str] = frozenset()


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
        ids = sorted({c.dossier_of(command) for command in commands})
        async with self._uow() as unit:
            read = await unit.batch.load(ids)
            ctx = self._context()
            changes = BatchWrite(now=ctx.now)
            states = {d: read.states.get(d) or DossierState(dossier_id=d) for d in ids}
            channels = dict(read.channels)
            for command in commands:
                d = c.dossier_of(command)
                if isinstance(command, c.ContactReceived | c.ContactDeleted):
                    self._contact(command, changes, channels)
                    continue
                if isinstance(command, c.OfficialContactReceived):
                    self._official(command, changes)
                    continue
                states[d] = cases.fold(states[d], self._with_due(command))
            ctx = await self._with_officials(ctx, unit.batch, states.values(), changes)
            decided = {
                d: cases.decide(states[d], read.cases.get(d), channels.get(d, ()), ctx) for d in ids
            }
            new = [d for d, x in decided.items() if x.case is not None and x.case.id is None]
            fresh = dict(zip(new, await unit.batch.reserve_letter_ids(len(new)), strict=True))
            for d in ids:
                self._collect(changes, states[d], read, decided[d], fresh.get(d), ctx)
            await unit.batch.write(changes)
            await unit.commit()

    def _context(self) -> Context:
        now = self._clock.now()
        opening = self._calendar.next_opening(now)
        return Context(
            now=now,
            directory=self._directory.current(),
            default_new_due=self._calendar.add_working_days(
                now, self._policy.reschedule_working_days
            ),
            applicant_not_before=opening if self._policy.applicant_office_hours_only else now,
            office_not_before=opening,
            approval_units=self._policy.approval_units,
        )

    def _with_due(self, cmd: c.Command) -> c.Command:
        """`dossier.received` without a printed appointment: due date computed on the calendar."""
        if not isinstance(cmd, c.FactsSeen) or cmd.time_limit is None:
            return cmd
        value, unit = cmd.time_limit
        start = self._calendar.clock_start(cmd.facts.received_at)
        due = self._calendar.due_at(start, value, unit)
        return c.FactsSeen(cmd.facts.model_copy(update={"due_at": due}))

    def _contact(
        self,
        cmd: c.ContactReceived | c.ContactDeleted,
        changes: BatchWrite,
        channels: dict[str, tuple[ChannelName, ...]],
    ) -> None:
        """Seal and keep a contact, however old the dossier (retention runs from the end of the
        need, docs/domain.md §9), or forget it; its channels reach the letters already issued."""
        if isinstance(cmd, c.ContactDeleted):
            changes.contacts[cmd.dossier_id] = None
            channels.pop(cmd.dossier_id, None)
            return
        ways = [ChannelName.EMAIL] if cmd.fields.get("email") else []
        ways += [ChannelName.SMS] if cmd.fields.get("phone") else []
        changes.contacts[cmd.dossier_id] = (self._sealer.seal(cmd.fields), ways)
        channels[cmd.dossier_id] = tuple(ways)

    def _official(self, cmd: c.OfficialContactReceived, changes: BatchWrite) -> None:
        """Seal and keep an official's contact; of two in a batch, the later record wins."""
        known = changes.officials.get(cmd.official_id)
        if known is None or known[1] <= cmd.time:
            changes.officials[cmd.official_id] = (self._sealer.seal(cmd.fields), cmd.time)

    @staticmethod
    async def _with_officials(
        ctx: Context, batch: BatchStore, folded: Iterable[DossierState], changes: BatchWrite
    ) -> Context:
        """The context knowing which assigned officials `dossier-contacts` reached us about
        (stored before, or in this batch): they are reminded at that address."""
        assigned = sorted({s.assignee for s in folded if s.assignee})
        if not assigned:
            return ctx
        stored = await batch.officials_on_topic(assigned)
        known = frozenset(stored | (set(changes.officials) & set(assigned)))
        return replace(ctx, officials_on_topic=known)

    def _collect(
        self,
        changes: BatchWrite,
        state: DossierState,
        read: BatchRead,
        decision: Decision,
        fresh_id: int | None,
        ctx: Context,
    ) -> None:
        """Add one dossier's state and decision to the batch's writes."""
        changes.states.append(state)
        changes.notifications += decision.notifications
        changes.cancel += [(state.dossier_id, prefix) for prefix in decision.cancel]
        on_record = read.cases.get(state.dossier_id)
        letter = decision.case
        if letter is not None and letter.id is None:
            letter = letter.model_copy(update={"id": fresh_id})
            changes.new_letters.append(letter)
            if letter.status is LetterStatus.HELD:
                log.warning(
                    "letter held: unit not in the directory", extra={"unit": letter.unit_code}
                )
        elif letter is not None:
            changes.letters.append(self._revised(letter, decision))
        elif decision.amendment is not None and on_record is not None:
            changes.letters.append(self._revised(on_record.letter, decision))
        current = letter or (on_record.letter if on_record else None)
        if current is None or current.id is None:
            return
        if decision.withdraw:
            changes.withdraw[current.id] = decision.withdraw
        if decision.requeue:
            changes.requeue[current.id] = ctx.applicant_not_before
        if decision.amendment is not None:
            changes.amendments.append(_amendment(current, on_record, decision, ctx.now))
        if decision.deliver is not None:
            d = decision.deliver
            changes.notifications += letter_jobs(
                current, list(d.channels), ctx.directory, d.not_before, tag=d.tag
            )

    @staticmethod
    def _revised(letter: Letter, decision: Decision) -> Letter:
        """The stored case reflects the newest cause revision it was decided against."""
        if decision.amendment is None:
            return letter
        return letter.model_copy(update={"revision": decision.amendment.revision})


def _amendment(
    letter: Letter, on_record: CaseOnRecord | None, decision: Decision, at: datetime
) -> dict[str, Any]:
    row = decision.amendment
    assert row is not None
    before = on_record.letter if on_record is not None else letter
    return {
        "letter_id": letter.id,
        "revision": row.revision,
        "dossier_id": letter.dossier_id,
        "unit_code": letter.unit_code,
        "from_cause": before.cause.value,
        "to_cause": row.to_cause,
        "action": row.action.value,
        "amended_at": at,
    }


__all__ = ["Facts", "Intake", "IntakePolicy"]

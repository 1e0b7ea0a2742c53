"""Periodic jobs: the unit heads' daily digest, contact retention, held letters, the gauges."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from notify.domain import approval, cases
from notify.domain.heads import head_notice
from notify.domain.letters import LOCAL
from notify.domain.models import (
    Kind,
    Letter,
    LetterStatus,
    NewNotification,
)
from notify.domain.policy import digest_text
from notify.ports import Clock, UnitDirectoryProvider, UnitOfWorkFactory, WorkingCalendar
from notify.usecases.letter_jobs import letter_jobs

log = logging.getLogger(__name__)
#: Unit code → names of KPIs below target (from the SLA API when configured).
KpiSource = Callable[[], Awaitable[dict[str, list[str]]]]
#: Erases what else is kept of the dossiers' contacts (their sealed dead letters).
ForgetContacts = Callable[[list[str]], Awaitable[None]]


@dataclass(frozen=True)
class SchedulePolicy:
    """When the digest goes out."""

    digest_hour: int = 8
    applicant_office_hours_only: bool = True
    #: How long a contact outlives its need (docs/domain.md §9).
    contacts_retention: timedelta = timedelta(days=180)
    #: units whose head approves each letter before it is sent (a released letter waits too).
    approval_units: frozenset[str] = frozenset()
    #: the head's window for a letter whose due date was (nearly) past when its case opened.
    approval_window_working_hours: int = 4


class Scheduler:
    """Runs the periodic work; each job is idempotent, so running it twice changes nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        calendar: WorkingCalendar,
        clock: Clock,
        directory: UnitDirectoryProvider,
        policy: SchedulePolicy,
        kpis: KpiSource | None = None,
        forget: ForgetContacts | None = None,
    ) -> None:
        self._uow, self._calendar, self._clock = uow, calendar, clock
        self._directory, self._policy, self._kpis = directory, policy, kpis
        self._forget = forget

    async def purge_contacts(self) -> int:
        """Delete the contacts whose need ended longer than the retention ago (never an open
        dossier's, nor one with a letter to its applicant still in flight), and their dead
        letters before the commit: if erasing those fails, the contacts stay for the next round,
        so no contact is deleted while a copy of it is kept elsewhere."""
        async with self._uow() as unit:
            dossiers = await unit.store.purge_contacts(
                self._clock.now(), self._policy.contacts_retention
            )
            if dossiers and self._forget is not None:
                await self._forget(dossiers)
            await unit.commit()
        if dossiers:
            log.info("contacts purged", extra={"dossiers": len(dossiers)})
        return len(dossiers)

    async def queue_digests(self) -> int:
        """On a working day, from the digest hour to closing, queue today's digest per unit head.

        Not after the day's closing: a digest queued at 20:00 would land beside the next day's
        one at the next opening (two digests in one morning).
        """
        now = self._clock.now()
        local = now.astimezone(LOCAL)
        if local.hour < self._policy.digest_hour or not self._calendar.is_working_day(local.date()):
            return 0
        if self._calendar.next_opening(now).astimezone(LOCAL).date() != local.date():
            return 0
        below = await self._below_target()
        async with self._uow() as unit:
            overdue = await unit.store.overdue_by_unit()
            items = [
                self._digest(code, rows, below.get(code, []), local.date().isoformat())
                for code, rows in overdue.items()
            ]
            items += [
                self._digest(code, [], kpis, local.date().isoformat())
                for code, kpis in below.items()
                if code not in overdue and kpis
            ]
            added = await unit.store.add_notifications([i for i in items if i is not None])
            await unit.commit()
        return added

    def _digest(
        self, code: str, rows: list[tuple[str, datetime]], kpis: list[str], day: str
    ) -> NewNotification | None:
        directory = self._directory.current()
        unit = directory.unit(code)
        if unit is None:
            return None
        return head_notice(
            f"digest:{code}:{day}",
            None,
            code,
            directory,
            f"Tổng hợp hồ sơ quá hạn ngày {day}",
            digest_text(unit.name, rows, kpis),
            self._calendar.next_opening(self._clock.now()),
            kind=Kind.DIGEST,
        )

    async def _below_target(self) -> dict[str, list[str]]:
        """KPIs below target by unit; the digest still goes out when the source is down."""
        if self._kpis is None:
            return {}
        try:
            return await self._kpis()
        except Exception as exc:  # the KPI source is optional: its outage must not stop digests
            log.warning("KPIs unavailable for the digest", extra={"error": type(exc).__name__})
            return {}

    async def release_held(self) -> tuple[int, int]:
        """Release the held letters whose unit the directory now has (``cases.release``):
        issued and queued, or awaiting approval where the unit approves its letters first;
        return (released, still held)."""
        directory, approving = self._directory.current(), self._policy.approval_units
        now = self._clock.now()
        opening = self._calendar.next_opening(now)
        at = opening if self._policy.applicant_office_hours_only else now
        released = 0
        async with self._uow() as unit:
            held = await unit.store.held_letters()
            for candidate in held:
                if candidate.id is None or cases.release(candidate, directory, approving) is None:
                    continue
                await unit.store.lock_dossier(candidate.dossier_id)
                letter = await unit.store.get_letter(candidate.id)  # again, under the lock
                status = cases.release(letter, directory, approving) if letter else None
                if letter is None or letter.id is None or status is None:
                    continue
                await unit.store.release_letter(letter.id, status.value)
                waiting = letter.model_copy(update={"status": status})
                await unit.store.add_notifications(approval.wanted(waiting, directory, opening))
                if status is LetterStatus.ISSUED:
                    channels = await unit.store.contact_channels(letter.dossier_id)
                    issued = letter.model_copy(update={"status": status})
                    await unit.store.add_notifications(letter_jobs(issued, channels, directory, at))
                released += 1
            await unit.commit()
        if released:
            log.info("held letters released", extra={"count": released})
        return released, len(held) - released

    async def issue_unapproved(self) -> int:
        """Issue the letters still awaiting approval at their deadline (``domain/approval``),
        with a notice to their unit head; return how many."""
        directory, now = self._directory.current(), self._clock.now()
        opening = self._calendar.next_opening(now)
        at = opening if self._policy.applicant_office_hours_only else now
        issued = 0
        async with self._uow() as unit:
            for candidate in await unit.store.awaiting_letters():
                if (
                    approval.lapse(candidate, self._times(candidate), now, directory, opening)
                    is None
                ):
                    continue
                await unit.store.lock_dossier(candidate.dossier_id)
                letter = await unit.store.get_letter(candidate.id or 0)  # again, under the lock
                if letter is None or letter.id is None:
                    continue
                lapsed = approval.lapse(letter, self._times(letter), now, directory, opening)
                if lapsed is None:  # approved (or withdrawn) meanwhile
                    continue
                await unit.store.set_letter_status(letter.id, LetterStatus.ISSUED.value)
                await unit.store.requeue_withdrawn(letter.id, at)
                channels = await unit.store.contact_channels(letter.dossier_id)
                jobs = letter_jobs(lapsed.letter, channels, directory, at)
                await unit.store.add_notifications(
                    jobs + ([lapsed.notice] if lapsed.notice else [])
                )
                issued += 1
            await unit.commit()
        if issued:
            log.warning("letters issued unapproved at their deadline", extra={"count": issued})
        return issued

    def _times(self, letter: Letter) -> approval.ApprovalTimes:
        """The calendar's answers for a letter's approval deadline."""
        hours = self._policy.approval_window_working_hours
        return approval.ApprovalTimes(
            before_due=self._calendar.subtract_working_days(letter.due_at, 1),
            after_opened=self._calendar.add_working_hours(letter.issued_at, hours),
        )

    async def waiting(self) -> dict[str, int]:
        """Jobs held for later (office hours, backoff), by kind."""
        async with self._uow() as unit:
            return await unit.store.count_waiting(self._clock.now())

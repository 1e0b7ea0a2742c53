"""A unit head approves a letter case waiting for approval: it is issued and delivered."""

from __future__ import annotations

from notify.domain.models import Letter, LetterStatus
from notify.ports import Clock, UnitDirectoryProvider, UnitOfWorkFactory, WorkingCalendar
from notify.settings import NotifyOptions
from notify.usecases.letter_jobs import letter_jobs


class NotAwaitingApprovalError(Exception):
    """The letter case is not waiting for approval (already issued, held or withdrawn)."""


class Approvals:
    """``POST /v1/letters/{id}/approve``."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        calendar: WorkingCalendar,
        clock: Clock,
        directory: UnitDirectoryProvider,
        options: NotifyOptions,
    ) -> None:
        self._uow, self._calendar, self._clock = uow, calendar, clock
        self._directory, self._office_only = directory, options.applicant_office_hours_only

    async def approve(self, letter_id: int, unit_code: str) -> Letter | None:
        """Issue the case and queue its deliveries; None when ``unit_code`` has no such letter."""
        async with self._uow() as unit:
            found = await unit.store.get_letter(letter_id)
            if found is None or found.unit_code != unit_code:
                return None
            await unit.store.lock_dossier(found.dossier_id)
            letter = await unit.store.get_letter(letter_id)  # read again under the lock
            if letter is None or letter.status is not LetterStatus.AWAITING_APPROVAL:
                raise NotAwaitingApprovalError(letter_id)
            now = self._clock.now()
            at = self._calendar.next_opening(now) if self._office_only else now
            channels = await unit.store.contact_channels(letter.dossier_id)
            issued = letter.model_copy(update={"status": LetterStatus.ISSUED})
            await unit.store.set_letter_status(letter_id, LetterStatus.ISSUED.value)
            directory = self._directory.current()
            await unit.store.requeue_withdrawn(letter_id, at)  # a case withdrawn, then revived
            await unit.store.add_notifications(letter_jobs(issued, channels, directory, at))
            await unit.commit()
        return issued

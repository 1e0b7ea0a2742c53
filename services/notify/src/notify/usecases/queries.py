"""Queries of the API: notifications without contact details, and apology letters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from notify.domain.letters import LetterDocument, TitleWord
from notify.domain.models import Kind, Letter, NotificationView
from notify.ports import (
    LetterQuery,
    LetterRenderer,
    Sealer,
    UnitDirectoryProvider,
    UnitOfWorkFactory,
)
from notify.usecases.letter_jobs import letter_document, open_contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """One page of notifications and the cursor of the next."""

    items: list[NotificationView]
    next_cursor: str | None


class NotFoundError(LookupError):
    """No such notification, or it carries no letter."""


class Queries:
    """Reads for the API."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sealer: Sealer,
        directory: UnitDirectoryProvider,
        renderer: LetterRenderer,
        title_word: TitleWord = "Phiếu",
        on_unreadable: Callable[[str], None] = lambda where: None,
    ) -> None:
        self._uow, self._sealer = uow, sealer
        self._directory, self._renderer, self._title_word = directory, renderer, title_word
        self._on_unreadable = on_unreadable

    async def notifications(
        self,
        dossier_id: str | None,
        kind: Kind | None,
        unit_code: str | None,
        cursor: int,
        limit: int,
    ) -> Page:
        """A page in id order; the cursor is the last id seen."""
        async with self._uow() as unit:
            items = await unit.store.list_notifications(
                dossier_id, kind.value if kind else None, unit_code, cursor, limit
            )
        next_cursor = str(items[-1].id) if len(items) == limit else None
        return Page(items, next_cursor)

    async def notification(self, notification_id: int) -> NotificationView:
        """One notification, or NotFoundError."""
        async with self._uow() as unit:
            found = await unit.store.get_notification(notification_id)
        if found is None:
            raise NotFoundError(notification_id)
        return found

    async def letters(self, query: LetterQuery) -> tuple[list[Letter], str | None]:
        """A page of letter cases in id order, and the next cursor."""
        async with self._uow() as unit:
            items = await unit.store.list_letters(query)
        return items, str(items[-1].id) if len(items) == query.limit else None

    def number_of(self, letter: Letter) -> str:
        """The number as printed (``05/PXL-SXD``), or ``05/PXL`` while its unit is missing."""
        unit = self._directory.current().unit(letter.unit_code)
        return f"{letter.number:02d}/PXL" + (f"-{unit.short_name()}" if unit else "")

    async def letter_case(self, letter_id: int) -> LetterDocument:
        """One letter case as printed (personal data: the applicant's name)."""
        async with self._uow() as unit:
            letter = await unit.store.get_letter(letter_id)
            sealed = await unit.store.sealed_contact(letter.dossier_id) if letter else None
        return self._document(letter, sealed, letter_id)

    async def letter(self, notification_id: int) -> LetterDocument:
        """The apology letter a notification carries (the only answer holding personal data)."""
        async with self._uow() as unit:
            letter = await unit.store.letter_of_notification(notification_id)
            sealed = await unit.store.sealed_contact(letter.dossier_id) if letter else None
        return self._document(letter, sealed, notification_id)

    def _document(self, letter: Letter | None, sealed: bytes | None, ref: int) -> LetterDocument:
        if letter is None:
            raise NotFoundError(ref)
        contact, unreadable = open_contact(self._sealer, sealed)
        if unreadable:  # shown all the same, the addressee marked unavailable; no contact logged
            self._on_unreadable("api")
            log.warning("letter shown without its addressee", extra={"letter": letter.id})
        doc = letter_document(
            self._directory.current(), letter, contact, self._title_word, unreadable
        )
        if doc is None:  # its unit left the directory (or is held): nothing truthful to show
            raise NotFoundError(ref)
        return doc

    def html(self, doc: LetterDocument) -> str:
        """The letter as HTML."""
        return self._renderer.html(doc)

    async def pdf(self, doc: LetterDocument) -> bytes:
        """The letter as PDF, rendered off the event loop."""
        return await asyncio.to_thread(self._renderer.pdf, doc)

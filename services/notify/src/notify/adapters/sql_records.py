"""Row-at-a-time SQL of notify's records: letters and contacts, for the API, the approval, the
scheduler and the delivery worker. A consumed batch goes through ``sql_batch`` instead."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters.tables import contacts, letters, official_contacts
from notify.domain.models import ChannelName, Letter
from notify.ports import LetterQuery

FACT_COLS = (
    "unit_code",
    "procedure_code",
    "procedure_name",
    "received_at",
    "due_at",
    "assignee_id",
    "receiving_unit_code",
)
LETTER_COLS = tuple(c.name for c in letters.c)
#: Dossier advisory locks live in this key space (pg_advisory_xact_lock(7003, hashtext(id))).
LOCK_SPACE = 7003


def letter_of(row: dict[str, Any]) -> Letter:
    """A letters row as the domain's Letter."""
    return Letter.model_validate({k: row[k] for k in LETTER_COLS if k in Letter.model_fields})


def channels_of(stored: str | None) -> list[ChannelName]:
    """The ``channels`` column (comma-separated) as channel names."""
    return [ChannelName(x) for x in stored.split(",") if x] if stored else []


def upsert_officials() -> Any:
    """The upsert of officials' sealed contacts: an older record never replaces a newer one."""
    stmt = pg_insert(official_contacts)
    return stmt.on_conflict_do_update(
        index_elements=["official_id"],
        set_={"sealed": stmt.excluded.sealed, "seen_at": stmt.excluded.seen_at},
        where=official_contacts.c.seen_at <= stmt.excluded.seen_at,
    )


class RecordsSql:
    """Letters and contacts, one statement per call, on one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def lock_dossier(self, dossier_id: str) -> None:
        """Transaction-scoped advisory lock on the dossier's hash (re-entrant within it)."""
        await self._c.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:d))"),
            {"space": LOCK_SPACE, "d": dossier_id},
        )

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter by id."""
        row = (await self._c.execute(select(letters).where(letters.c.id == letter_id))).first()
        return None if row is None else letter_of(row._asdict())

    async def held_letters(self) -> list[Letter]:
        """Letters held for a unit missing from the directory, oldest first."""
        query = (
            select(letters)
            .where(letters.c.held_at.is_not(None), letters.c.status == "held")
            .order_by(letters.c.id)
        )
        return [letter_of(row._asdict()) for row in await self._c.execute(query)]

    async def awaiting_letters(self) -> list[Letter]:
        """Letters awaiting their unit head's approval, oldest first."""
        query = select(letters).where(letters.c.status == "awaiting_approval")
        return [
            letter_of(row._asdict()) for row in await self._c.execute(query.order_by(letters.c.id))
        ]

    async def release_letter(self, letter_id: int, status: str) -> None:
        """Clear the letter's hold: the case is issued, or awaits its unit head's approval."""
        await self._c.execute(
            update(letters)
            .where(letters.c.id == letter_id, letters.c.status == "held")
            .values(held_at=None, status=status)
        )

    async def set_letter_status(self, letter_id: int, status: str) -> None:
        """Change a letter case's state."""
        await self._c.execute(
            update(letters).where(letters.c.id == letter_id).values(status=status)
        )

    async def list_letters(self, query: LetterQuery) -> list[Letter]:
        """Letter cases in id order after the cursor, filtered."""
        stmt = select(letters).where(letters.c.id > query.after_id)
        if query.dossier_id is not None:
            stmt = stmt.where(letters.c.dossier_id == query.dossier_id)
        if query.unit_code is not None:
            stmt = stmt.where(letters.c.unit_code == query.unit_code)
        if query.status is not None:
            stmt = stmt.where(letters.c.status == query.status)
        rows = await self._c.execute(stmt.order_by(letters.c.id).limit(query.limit))
        return [letter_of(r._asdict()) for r in rows]

    async def sealed_official_contact(self, official_id: str) -> bytes | None:
        """An official's sealed contact, if `dossier-contacts` brought one."""
        oc = official_contacts.c
        return await self._c.scalar(select(oc.sealed).where(oc.official_id == official_id))

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """The applicant's channels."""
        got = await self._c.scalar(
            select(contacts.c.channels).where(contacts.c.dossier_id == dossier_id)
        )
        return channels_of(got)

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact."""
        return await self._c.scalar(
            select(contacts.c.sealed).where(contacts.c.dossier_id == dossier_id)
        )

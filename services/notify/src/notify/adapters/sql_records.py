"""Row-at-a-time SQL of notify's records: facts, letters and their numbers, held requests,
contacts, amendments. The API, the scheduler and the amendment path use these; a consumed
batch goes through ``sql_staged`` instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters.tables import (
    contacts,
    facts,
    letter_amendments,
    letter_numbers,
    letters,
    official_contacts,
)
from notify.adapters.tables import notifications as jobs
from notify.adapters.tables import pending_letters as held
from notify.domain.models import ChannelName, Facts, Letter, LetterRequest

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
    """Facts, letters, held requests and contacts, one statement per call, on one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def lock_dossier(self, dossier_id: str) -> None:
        """Transaction-scoped advisory lock on the dossier's hash (re-entrant within it)."""
        await self._c.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:d))"),
            {"space": LOCK_SPACE, "d": dossier_id},
        )

    async def save_facts(self, f: Facts, overwrite: bool) -> None:
        """Insert, or replace the facts (not the breach marks) when ``overwrite``."""
        stmt = pg_insert(facts).values(**f.model_dump())
        if overwrite:
            values = {k: stmt.excluded[k] for k in FACT_COLS} | {"updated_at": func.now()}
            stmt = stmt.on_conflict_do_update(index_elements=["dossier_id"], set_=values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["dossier_id"])
        await self._c.execute(stmt)

    async def get_facts(self, dossier_id: str) -> Facts | None:
        """The facts of a dossier, if seen."""
        cols = [facts.c.dossier_id, *(facts.c[k] for k in FACT_COLS)]
        row = (await self._c.execute(select(*cols).where(facts.c.dossier_id == dossier_id))).first()
        return None if row is None else Facts.model_validate(row._asdict())

    async def mark_breached(self, dossier_id: str, at: datetime) -> None:
        """Set the first breach time."""
        await self._c.execute(
            update(facts)
            .where(facts.c.dossier_id == dossier_id)
            .values(breached_at=func.coalesce(facts.c.breached_at, at))
        )

    async def mark_finished(self, dossier_id: str, at: datetime) -> None:
        """Set the finish time."""
        await self._c.execute(
            update(facts)
            .where(facts.c.dossier_id == dossier_id)
            .values(finished_at=func.coalesce(facts.c.finished_at, at))
        )

    async def next_letter_number(self, unit_code: str, year: int) -> int:
        """Increment the unit's yearly counter (row-locked until commit: no gaps, no repeats)."""
        new = pg_insert(letter_numbers).values(unit_code=unit_code, year=year, last_number=1)
        stmt = new.on_conflict_do_update(
            index_elements=["unit_code", "year"],
            set_={"last_number": letter_numbers.c.last_number + 1},
        ).returning(letter_numbers.c.last_number)
        return int((await self._c.execute(stmt)).scalar_one())

    async def insert_letter(self, letter: Letter) -> int | None:
        """Number and insert; the unique (dossier_id, due_at) constraint makes a second a no-op.

        Callers hold the dossier's lock and looked first, so the no-op never burns a number.
        """
        number = await self.next_letter_number(letter.unit_code, letter.year)
        values = letter.model_dump(exclude={"id"}) | {"number": number}
        stmt = pg_insert(letters).values(**values)
        stmt = stmt.on_conflict_do_nothing(constraint="uq_letters_dossier_due")
        found = await self._c.scalar(stmt.returning(letters.c.id))
        return None if found is None else int(found)

    async def letter_for(self, dossier_id: str, due_at: datetime) -> Letter | None:
        """The letter of (dossier, due date), if issued."""
        query = select(letters).where(
            letters.c.dossier_id == dossier_id, letters.c.due_at == due_at
        )
        row = (await self._c.execute(query)).first()
        return None if row is None else letter_of(row._asdict())

    async def letters_of(self, dossier_id: str) -> list[Letter]:
        """The letters of a dossier."""
        rows = await self._c.execute(select(letters).where(letters.c.dossier_id == dossier_id))
        return [letter_of(r._asdict()) for r in rows]

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter by id."""
        row = (await self._c.execute(select(letters).where(letters.c.id == letter_id))).first()
        return None if row is None else letter_of(row._asdict())

    async def held_letters(self) -> list[Letter]:
        """Letters held for a unit missing from the directory, oldest first."""
        query = select(letters).where(letters.c.held_at.is_not(None)).order_by(letters.c.id)
        return [letter_of(row._asdict()) for row in await self._c.execute(query)]

    async def release_letter(self, letter_id: int) -> None:
        """Clear the letter's hold."""
        await self._c.execute(update(letters).where(letters.c.id == letter_id).values(held_at=None))

    async def letter_sent(self, letter_id: int) -> bool:
        """Any delivery sent or being sent; the rows stay locked (the worker's claim skips them)."""
        query = select(jobs.c.status).where(jobs.c.letter_id == letter_id).with_for_update()
        statuses = set((await self._c.execute(query)).scalars())
        return bool(statuses & {"sent", "sending"})

    async def update_letter(self, letter_id: int, values: dict[str, Any]) -> None:
        """Change an issued letter."""
        await self._c.execute(update(letters).where(letters.c.id == letter_id).values(**values))

    async def add_amendment(
        self, letter: Letter, revision: int, to_cause: str, action: str, at: datetime
    ) -> None:
        """Append the amendment; a replayed revision finds its row and changes nothing."""
        stmt = pg_insert(letter_amendments).values(
            letter_id=letter.id,
            revision=revision,
            dossier_id=letter.dossier_id,
            unit_code=letter.unit_code,
            from_cause=letter.cause.value,
            to_cause=to_cause,
            action=action,
            amended_at=at,
        )
        await self._c.execute(stmt.on_conflict_do_nothing())

    async def hold_letter(self, request: LetterRequest) -> None:
        """Keep the first request per dossier."""
        values = request.model_dump(mode="python", exclude={"revision"})
        values["cause"] = request.cause.value
        stmt = pg_insert(held).values(**values).on_conflict_do_nothing()
        await self._c.execute(stmt)

    async def take_held_letter(self, dossier_id: str) -> LetterRequest | None:
        """Delete and return the held request."""
        stmt = (
            delete(held)
            .where(held.c.dossier_id == dossier_id)
            .returning(held.c.dossier_id, held.c.cause, held.c.reason, held.c.new_due_at)
        )
        row = (await self._c.execute(stmt)).first()
        return None if row is None else LetterRequest.model_validate(row._asdict())

    async def save_contact(
        self, dossier_id: str, sealed: bytes, channels: list[ChannelName]
    ) -> None:
        """Upsert the sealed contact."""
        values = {
            "dossier_id": dossier_id,
            "sealed": sealed,
            "channels": ",".join(c.value for c in channels),
        }
        stmt = pg_insert(contacts).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={k: stmt.excluded[k] for k in ("sealed", "channels")},
        )
        await self._c.execute(stmt)

    async def save_official_contact(self, official_id: str, sealed: bytes, at: datetime) -> None:
        """Upsert an official's sealed contact (an older record never replaces a newer one)."""
        await self._c.execute(
            upsert_officials(), [{"official_id": official_id, "sealed": sealed, "seen_at": at}]
        )

    async def has_official_contact(self, official_id: str) -> bool:
        """Whether an official's contact is stored."""
        return await self.sealed_official_contact(official_id) is not None

    async def sealed_official_contact(self, official_id: str) -> bytes | None:
        """An official's sealed contact, if `dossier-contacts` brought one."""
        oc = official_contacts.c
        return await self._c.scalar(select(oc.sealed).where(oc.official_id == official_id))

    async def delete_contact(self, dossier_id: str) -> None:
        """Forget it."""
        await self._c.execute(delete(contacts).where(contacts.c.dossier_id == dossier_id))

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

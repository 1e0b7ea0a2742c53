"""The SQL store (PostgreSQL): notify's records, in the caller's transaction; no commit here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from dunghan_common.db import SqlUnitOfWork
from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notify.adapters.tables import (
    contacts,
    facts,
    letter_amendments,
    letter_numbers,
    letters,
    notifications,
)
from notify.adapters.tables import pending_letters as held
from notify.domain.models import (
    ChannelName,
    Facts,
    Job,
    Letter,
    LetterRequest,
    NewNotification,
    NotificationView,
)

_FACT_COLS = (
    "unit_code",
    "procedure_code",
    "procedure_name",
    "received_at",
    "due_at",
    "assignee_id",
)
_LETTER_COLS = tuple(c.name for c in letters.c)
_VIEW_COLS = (
    notifications.c.id,
    notifications.c.kind,
    notifications.c.dossier_id,
    notifications.c.recipient_role,
    notifications.c.channel,
    notifications.c.status,
    notifications.c.created_at,
    notifications.c.sent_at,
)


class SqlNotifyStore:
    """Implements ``NotifyStore`` on one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def lock_dossier(self, dossier_id: str) -> None:
        """Transaction-scoped advisory lock on the dossier's hash (re-entrant within it)."""
        await self._c.execute(
            text("SELECT pg_advisory_xact_lock(7003, hashtext(:d))"), {"d": dossier_id}
        )

    async def save_facts(self, f: Facts, overwrite: bool) -> None:
        """Insert, or replace the facts (not the breach marks) when ``overwrite``."""
        stmt = pg_insert(facts).values(**f.model_dump())
        if overwrite:
            values = {k: stmt.excluded[k] for k in _FACT_COLS} | {"updated_at": func.now()}
            stmt = stmt.on_conflict_do_update(index_elements=["dossier_id"], set_=values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["dossier_id"])
        await self._c.execute(stmt)

    async def get_facts(self, dossier_id: str) -> Facts | None:
        """The facts of a dossier, if seen."""
        cols = [facts.c.dossier_id, *(facts.c[k] for k in _FACT_COLS)]
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

    async def has_letter(self, dossier_id: str, due_at: datetime) -> bool:
        """Whether (dossier, due date) has its letter."""
        found = await self._c.scalar(
            select(letters.c.id).where(
                letters.c.dossier_id == dossier_id, letters.c.due_at == due_at
            )
        )
        return found is not None

    async def next_letter_number(self, unit_code: str, year: int) -> int:
        """Increment the unit's yearly counter (row-locked until commit: no gaps, no repeats)."""
        new = pg_insert(letter_numbers).values(unit_code=unit_code, year=year, last_number=1)
        stmt = new.on_conflict_do_update(
            index_elements=["unit_code", "year"],
            set_={"last_number": letter_numbers.c.last_number + 1},
        ).returning(letter_numbers.c.last_number)
        return int((await self._c.execute(stmt)).scalar_one())

    async def letter_for(self, dossier_id: str, due_at: datetime) -> Letter | None:
        """The letter of (dossier, due date), if issued."""
        query = select(letters).where(
            letters.c.dossier_id == dossier_id, letters.c.due_at == due_at
        )
        row = (await self._c.execute(query)).first()
        return None if row is None else _letter(row._asdict())

    async def letter_sent(self, letter_id: int) -> bool:
        """Any delivery sent or being sent; the rows stay locked (the worker's claim skips them)."""
        n = notifications.c
        query = select(n.status).where(n.letter_id == letter_id).with_for_update()
        statuses = set((await self._c.execute(query)).scalars())
        return bool(statuses & {"sent", "sending"})

    async def update_letter(self, letter_id: int, values: dict[str, Any]) -> None:
        """Change an issued letter."""
        await self._c.execute(update(letters).where(letters.c.id == letter_id).values(**values))

    async def withdraw_jobs(self, letter_id: int, at: datetime, why: str) -> int:
        """Queued deliveries of the letter become failed, with ``why`` as their error."""
        n = notifications.c
        stmt = (
            update(notifications)
            .where(n.letter_id == letter_id, n.status == "pending")
            .values(status="failed", failed_at=at, last_error=why)
            .returning(n.id)
        )
        return len((await self._c.execute(stmt)).all())

    async def requeue_withdrawn(self, letter_id: int, not_before: datetime) -> int:
        """Withdrawn deliveries of the letter go back to pending."""
        n = notifications.c
        stmt = (
            update(notifications)
            .where(n.letter_id == letter_id, n.status == "failed", n.last_error.like("withdrawn:%"))
            .values(status="pending", failed_at=None, last_error=None, not_before=not_before)
            .returning(n.id)
        )
        return len((await self._c.execute(stmt)).all())

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

    async def insert_letter(self, letter: Letter) -> int | None:
        """Insert; the unique (dossier_id, due_at) constraint makes a second one a no-op."""
        stmt = pg_insert(letters).values(**letter.model_dump(exclude={"id"}))
        stmt = stmt.on_conflict_do_nothing(constraint="uq_letters_dossier_due")
        found = await self._c.scalar(stmt.returning(letters.c.id))
        return None if found is None else int(found)

    async def letters_of(self, dossier_id: str) -> list[Letter]:
        """The letters of a dossier."""
        rows = await self._c.execute(select(letters).where(letters.c.dossier_id == dossier_id))
        return [_letter(r._asdict()) for r in rows]

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter by id."""
        row = (await self._c.execute(select(letters).where(letters.c.id == letter_id))).first()
        return None if row is None else _letter(row._asdict())

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

    async def add_notifications(self, items: list[NewNotification]) -> int:
        """Insert new jobs in one statement; existing dedup keys are skipped."""
        if not items:
            return 0
        rows = [i.model_dump(mode="python") for i in items]
        stmt = (
            pg_insert(notifications)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(notifications.c.id)
        )
        return len((await self._c.execute(stmt)).all())

    async def save_contact(
        self, dossier_id: str, sealed: bytes, channels: list[ChannelName], delete_after: datetime
    ) -> None:
        """Upsert the sealed contact."""
        values = {
            "dossier_id": dossier_id,
            "sealed": sealed,
            "channels": ",".join(c.value for c in channels),
            "delete_after": delete_after,
        }
        stmt = pg_insert(contacts).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={k: stmt.excluded[k] for k in ("sealed", "channels", "delete_after")},
        )
        await self._c.execute(stmt)

    async def delete_contact(self, dossier_id: str) -> None:
        """Forget it."""
        await self._c.execute(delete(contacts).where(contacts.c.dossier_id == dossier_id))

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """The applicant's channels."""
        got = await self._c.scalar(
            select(contacts.c.channels).where(contacts.c.dossier_id == dossier_id)
        )
        return [ChannelName(x) for x in got.split(",") if x] if got else []

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact."""
        return await self._c.scalar(
            select(contacts.c.sealed).where(contacts.c.dossier_id == dossier_id)
        )

    async def purge_contacts(self, now: datetime) -> int:
        """Delete expired contacts."""
        result = await self._c.execute(
            delete(contacts).where(contacts.c.delete_after <= now).returning(contacts.c.dossier_id)
        )
        return len(result.all())

    async def claim_jobs(self, now: datetime, lease_s: float, limit: int) -> list[Job]:
        """Due pending jobs and ``sending`` ones whose lease ran out (a crashed worker's)."""
        n = notifications.c
        stale = now - timedelta(seconds=lease_s)
        due = (
            select(n.id)
            .where(
                or_(
                    and_(n.status == "pending", n.not_before <= now),
                    and_(n.status == "sending", n.claimed_at <= stale),
                )
            )
            .order_by(n.not_before)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(notifications)
            .where(n.id.in_(due.scalar_subquery()))
            .values(
                status="sending",
                claimed_at=now,
                attempts=n.attempts + 1,
            )
            .returning(*(n[k] for k in Job.model_fields))
        )
        return [Job.model_validate(r._asdict()) for r in await self._c.execute(stmt)]

    async def mark_sent(self, job_id: int, at: datetime) -> None:
        """Sent."""
        await self._set(job_id, status="sent", sent_at=at, last_error=None)

    async def mark_retry(self, job_id: int, not_before: datetime, error: str) -> None:
        """Back to pending, later."""
        await self._set(job_id, status="pending", not_before=not_before, last_error=error)

    async def mark_failed(self, job_id: int, at: datetime, error: str) -> None:
        """Terminal failure."""
        await self._set(job_id, status="failed", failed_at=at, last_error=error)

    async def _set(self, job_id: int, **values: Any) -> None:
        await self._c.execute(
            update(notifications).where(notifications.c.id == job_id).values(**values)
        )

    async def count_waiting(self, now: datetime) -> dict[str, int]:
        """Pending jobs not due yet, by kind."""
        n = notifications.c
        rows = await self._c.execute(
            select(n.kind, func.count())
            .where(n.status == "pending", n.not_before > now)
            .group_by(n.kind)
        )
        return {kind: int(count) for kind, count in rows}

    async def overdue_by_unit(self) -> dict[str, list[tuple[str, datetime]]]:
        """Breached, not finished dossiers by unit."""
        rows = await self._c.execute(
            select(facts.c.unit_code, facts.c.dossier_id, facts.c.due_at)
            .where(facts.c.breached_at.isnot(None), facts.c.finished_at.is_(None))
            .order_by(facts.c.unit_code, facts.c.due_at)
        )
        out: dict[str, list[tuple[str, datetime]]] = {}
        for unit, dossier, due in rows:
            out.setdefault(unit, []).append((dossier, due))
        return out

    async def list_notifications(
        self,
        dossier_id: str | None,
        kind: str | None,
        unit_code: str | None,
        after_id: int,
        limit: int,
    ) -> list[NotificationView]:
        """Keyset page by id."""
        n = notifications.c
        stmt = select(*_VIEW_COLS).where(n.id > after_id).order_by(n.id).limit(limit)
        for col, value in ((n.dossier_id, dossier_id), (n.kind, kind), (n.unit_code, unit_code)):
            if value is not None:
                stmt = stmt.where(col == value)
        return [NotificationView.model_validate(r._asdict()) for r in await self._c.execute(stmt)]

    async def get_notification(self, notification_id: int) -> NotificationView | None:
        """One notification."""
        row = (
            await self._c.execute(select(*_VIEW_COLS).where(notifications.c.id == notification_id))
        ).first()
        return None if row is None else NotificationView.model_validate(row._asdict())

    async def letter_of_notification(self, notification_id: int) -> Letter | None:
        """The letter an apology notification carries."""
        stmt = select(letters).join(notifications, notifications.c.letter_id == letters.c.id)
        row = (await self._c.execute(stmt.where(notifications.c.id == notification_id))).first()
        return None if row is None else _letter(row._asdict())


def _letter(row: dict[str, Any]) -> Letter:
    return Letter.model_validate({k: row[k] for k in _LETTER_COLS if k in Letter.model_fields})


class SqlNotifyUnit:
    """A unit of work exposing the store."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._store = SqlNotifyStore(uow.connection)

    @property
    def store(self) -> SqlNotifyStore:
        """The store on this transaction's connection."""
        return self._store

    async def commit(self) -> None:
        """Commit."""
        await self._uow.commit()


class SqlUnitOfWorkFactory:
    """Opens SQL units of work on an engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlNotifyUnit]:
        """A new transaction."""
        async with SqlUnitOfWork(self._engine) as uow:
            yield SqlNotifyUnit(uow)

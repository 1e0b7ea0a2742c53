"""SQL of notifications (delivery jobs): queueing, claiming, outcomes, and the API's reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters.sql_records import letter_of
from notify.adapters.tables import facts, letters, notifications
from notify.domain.models import Job, Letter, NewNotification, NotificationView

_VIEW_COLS = (
    notifications.c.id,
    notifications.c.kind,
    notifications.c.dossier_id,
    notifications.c.unit_code,
    notifications.c.recipient_role,
    notifications.c.channel,
    notifications.c.status,
    notifications.c.created_at,
    notifications.c.sent_at,
)


class JobsSql:
    """Notifications and the reads around them, one statement per call, on one connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

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

    async def claim_jobs(self, now: datetime, lease_s: float, limit: int, claim: str) -> list[Job]:
        """Due pending jobs and ``sending`` ones whose lease ran out (a dead worker's), under
        ``claim``: from now on only the holder of ``claim`` writes their outcome."""
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
            .values(status="sending", claimed_at=now, claim=claim, attempts=n.attempts + 1)
            .returning(*(n[k] for k in Job.model_fields))
        )
        return [Job.model_validate(r._asdict()) for r in await self._c.execute(stmt)]

    async def renew_claim(self, claim: str, now: datetime, job_id: int | None = None) -> int:
        """Extend the lease of the claim's jobs still being sent (or of one); return how many."""
        n = notifications.c
        stmt = update(notifications).where(n.claim == claim, n.status == "sending")
        if job_id is not None:
            stmt = stmt.where(n.id == job_id)
        stmt = stmt.values(claimed_at=now).returning(n.id)
        return len((await self._c.execute(stmt)).all())

    async def mark_sent(self, job_id: int, claim: str, at: datetime) -> bool:
        """Sent; False when the claim no longer holds the job (nothing written)."""
        return await self._settle(job_id, claim, status="sent", sent_at=at, last_error=None)

    async def mark_retry(self, job_id: int, claim: str, not_before: datetime, error: str) -> bool:
        """Back to pending, later; False when the claim no longer holds the job."""
        return await self._settle(
            job_id, claim, status="pending", not_before=not_before, last_error=error
        )

    async def mark_failed(self, job_id: int, claim: str, at: datetime, error: str) -> bool:
        """Terminal failure; False when the claim no longer holds the job."""
        return await self._settle(job_id, claim, status="failed", failed_at=at, last_error=error)

    async def _settle(self, job_id: int, claim: str, **values: Any) -> bool:
        """Write an outcome only while ``claim`` holds the job in ``sending``."""
        n = notifications.c
        stmt = (
            update(notifications)
            .where(n.id == job_id, n.claim == claim, n.status == "sending")
            .values(**values)
            .returning(n.id)
        )
        return (await self._c.execute(stmt)).first() is not None

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
        return None if row is None else letter_of(row._asdict())

"""Personal data's end of life (docs/domain.md §9): retention from the end of the need, re-sealing.

An applicant's contact is needed while the dossier is open and until every letter to the
applicant was delivered or given up; it is deleted ``retention`` after the later of the dossier's
end and the last such outcome. An official's contact is needed while a dossier assigned to them
is open; it is deleted ``retention`` after both that and the last record that named them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters.tables import contacts, facts, letters, official_contacts
from notify.adapters.tables import notifications as jobs

_NOT_YET_SENT = ("held", "awaiting_approval")
_TO_APPLICANT = and_(
    jobs.c.dossier_id == contacts.c.dossier_id, jobs.c.recipient_role == "applicant"
)


def _need_ended_before(cutoff: datetime) -> ColumnElement[bool]:
    """The applicant contact's dossier finished, nothing to them in flight, all before cutoff."""
    f = facts.c
    last_outcome = (
        select(func.max(func.coalesce(jobs.c.sent_at, jobs.c.failed_at)))
        .where(_TO_APPLICANT)
        .scalar_subquery()
    )
    return and_(
        exists().where(f.dossier_id == contacts.c.dossier_id, f.finished_at <= cutoff),
        ~exists().where(_TO_APPLICANT, jobs.c.status.in_(("pending", "sending"))),
        ~exists().where(  # a letter case still to be sent (held, awaiting approval) needs it
            letters.c.dossier_id == contacts.c.dossier_id,
            or_(letters.c.held_at.isnot(None), letters.c.status.in_(_NOT_YET_SENT)),
        ),
        or_(last_outcome.is_(None), last_outcome <= cutoff),
    )


class RetentionSql:
    """Deletes contacts whose need ended, and re-seals contacts under the newest key."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def purge_contacts(self, now: datetime, retention: timedelta) -> list[str]:
        """Delete the contacts whose need ended ``retention`` ago; return their keys on the
        contacts topic (the dossier code, or ``official:<id>``)."""
        cutoff = now - retention
        gone = await self._c.execute(
            delete(contacts).where(_need_ended_before(cutoff)).returning(contacts.c.dossier_id)
        )
        oc = official_contacts.c
        open_dossier = exists().where(
            facts.c.assignee_id == oc.official_id, facts.c.finished_at.is_(None)
        )
        late = and_(facts.c.assignee_id == oc.official_id, facts.c.finished_at > cutoff)
        officials = await self._c.execute(
            delete(official_contacts)
            .where(oc.seen_at <= cutoff, ~open_dossier, ~exists().where(late))
            .returning(oc.official_id)
        )
        dossiers = sorted({row.dossier_id for row in gone})
        return dossiers + sorted(f"official:{row.official_id}" for row in officials)

    async def sealed_page(self, which: str, after: str, limit: int) -> list[tuple[str, bytes]]:
        """A page of (id, sealed) in id order after ``after``, row-locked until commit."""
        table, key = _sealed(which)
        query = (
            select(table.c[key], table.c.sealed)
            .where(table.c[key] > after)
            .order_by(table.c[key])
            .limit(limit)
            .with_for_update()
        )
        return [(str(k), bytes(v)) for k, v in await self._c.execute(query)]

    async def replace_sealed(self, which: str, rows: list[tuple[str, bytes]]) -> None:
        """Write re-sealed tokens back (same rows, locked by ``sealed_page``)."""
        table, key = _sealed(which)
        for ident, sealed in rows:
            await self._c.execute(update(table).where(table.c[key] == ident).values(sealed=sealed))


def _sealed(which: str) -> tuple[Table, str]:
    """The table of sealed contacts and its key column: ``applicant`` or ``official``."""
    return (contacts, "dossier_id") if which == "applicant" else (official_contacts, "official_id")

"""The index's storage: the portal's answers per month, and the month's receptions counted from
the attributions (a plain read side: each method is one query in its own transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from sync_audit.adapters.tables import attributions, portal_index_answers
from sync_audit.domain.gap import FAULT_CAUSES, LATE, GapDossier, UnitTally, counted_on_time


class SqlIndexStore:
    """The `IndexStore` port on PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save_answer(
        self, period: str, answer: dict[str, Any], source: str, stored_at: datetime
    ) -> None:
        """Store (or replace) the month's answer as it was given."""
        row = {"period": period, "answer": answer, "source": source, "stored_at": stored_at}
        stmt = insert(portal_index_answers).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=["period"],
            set_={k: stmt.excluded[k] for k in ("answer", "source", "stored_at")},
        )
        async with self._engine.begin() as conn:
            await conn.execute(stmt)

    async def answer(self, period: str) -> dict[str, Any] | None:
        """The month's stored answer, or None."""
        t = portal_index_answers.c
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(t.answer).where(t.period == period))
        return dict(found) if found is not None else None

    async def latest_period(self) -> str | None:
        """The latest month with a stored answer."""
        t = portal_index_answers.c
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(func.max(t.period)))
        return str(found) if found is not None else None

    async def month(
        self, start: datetime, end: datetime, unit_code: str | None
    ) -> tuple[list[UnitTally], list[GapDossier]]:
        """Per unit, the dossiers received in [start, end) counted the portal's way, and those
        whose cause is a sync or software fault with their evidence."""
        c = attributions.c
        window = and_(c.received_at >= start, c.received_at < end)
        if unit_code is not None:
            window = and_(window, c.unit_code == unit_code)
        late = c.local_timeliness.in_(sorted(LATE))
        tallies = (
            select(
                c.unit_code,
                func.count(),
                func.count().filter(~late),
                func.count().filter(and_(late, c.cause.in_(FAULT_CAUSES))),
            )
            .where(window)
            .group_by(c.unit_code)
        )
        faults = (
            select(attributions)
            .where(window, c.cause.in_(FAULT_CAUSES))
            .order_by(c.unit_code, c.dossier_id)
        )
        async with self._engine.connect() as conn:
            counted = [
                UnitTally(unit_code=u, received=n, on_time=ok, fault_late=fl)
                for u, n, ok, fl in await conn.execute(tallies)
            ]
            listed = [_dossier(dict(r._mapping)) for r in await conn.execute(faults)]
        return counted, listed


def _dossier(row: dict[str, Any]) -> GapDossier:
    return GapDossier(
        dossier_id=row["dossier_id"],
        unit_code=row["unit_code"],
        cause=row["cause"],
        local_timeliness=row["local_timeliness"],
        portal_view=row["portal_view"],
        due_at=row["due_at"],
        finished_at=row["finished_at"],
        counted_on_time=counted_on_time(row["local_timeliness"], row["cause"]),
        evidence=row["evidence"],
    )

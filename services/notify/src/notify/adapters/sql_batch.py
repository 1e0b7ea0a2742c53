"""The intake store of one consumed batch: lock and read its dossiers at once, write once.

``load`` locks every dossier of the batch (one statement, in key order) and reads their states
and facts, letter cases (with whether any delivery went out: those rows stay locked, so the
worker cannot send a letter being withdrawn or amended) and contact channels;
``officials_on_topic`` says which assigned officials `dossier-contacts` brought an email for.
``write`` applies what the decisions changed in a few set-based statements, in dependency order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, any_, bindparam, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters import sql_bulk as bulk
from notify.adapters.sql_records import FACT_COLS, channels_of, letter_of
from notify.adapters.tables import (
    contacts,
    facts,
    letter_amendments,
    letters,
    notifications,
    official_contacts,
    states,
)
from notify.domain.cases import CaseOnRecord, DossierState
from notify.domain.models import ChannelName, Facts, Letter
from notify.ports import BatchRead, BatchWrite

_SENT = ("sent", "sending")


def _ids(ids: Sequence[str], name: str = "ids") -> Any:
    return any_(bindparam(name, list(ids), type_=ARRAY(Text)))


def _state_of(row: Any) -> DossierState:
    """A state rebuilt from a facts row written before states were kept."""
    known = Facts.model_validate({"dossier_id": row.dossier_id} | {k: row[k] for k in FACT_COLS})
    return DossierState(
        dossier_id=row.dossier_id,
        facts=known,
        appointment=known.due_at,
        breached_at=row.breached_at,
        finished_at=row.finished_at,
        timeliness="late" if row.finished_at and row.breached_at else None,
    )


class BatchSql:
    """Implements ``BatchStore`` on the transaction's connection."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._c = conn

    async def load(self, dossier_ids: Sequence[str]) -> BatchRead:
        """Lock the dossiers and read their states, cases and channels."""
        ids = sorted(set(dossier_ids))
        out = BatchRead()
        if not ids:
            return out
        await bulk.lock_all(self._c, ids)
        query = select(states.c.dossier_id, states.c.state).where(states.c.dossier_id == _ids(ids))
        for kept in await self._c.execute(query):
            out.states[kept.dossier_id] = DossierState.model_validate(kept.state)
        older = [d for d in ids if d not in out.states]  # kept before states were (0005)
        query = select(facts).where(facts.c.dossier_id == _ids(older, "older"))
        for found_row in (await self._c.execute(query)).mappings() if older else []:
            out.states[found_row["dossier_id"]] = _state_of(_Row(found_row))
        query = select(letters).where(letters.c.dossier_id == _ids(ids)).order_by(letters.c.id)
        found = [letter_of(dict(r)) for r in (await self._c.execute(query)).mappings()]
        sent = await self._sent([lt.id for lt in found if lt.id is not None])
        for lt in found:  # one case per dossier and appointment: the dossier's first
            out.cases.setdefault(lt.dossier_id, CaseOnRecord(lt, lt.id in sent))
        query = select(contacts.c.dossier_id, contacts.c.channels)
        for row in await self._c.execute(query.where(contacts.c.dossier_id == _ids(ids))):
            out.channels[row.dossier_id] = tuple(channels_of(row.channels))
        return out

    async def _sent(self, letter_ids: list[int]) -> set[int]:
        """Letters with a delivery sent or being sent; every delivery row stays locked."""
        if not letter_ids:
            return set()
        n = notifications.c
        query = (
            select(n.letter_id, n.status)
            .where(
                n.letter_id == any_(bindparam("lids", letter_ids, type_=ARRAY(n.letter_id.type)))
            )
            .with_for_update()
        )
        return {r.letter_id for r in await self._c.execute(query) if r.status in _SENT}

    async def reserve_letter_ids(self, n: int) -> list[int]:
        """Ids for new letter cases (their deliveries reference them before they are written)."""
        return await bulk.reserve_letter_ids(self._c, n) if n else []

    async def officials_on_topic(self, official_ids: Sequence[str]) -> set[str]:
        """Which of these officials `dossier-contacts` brought an email for."""
        if not official_ids:
            return set()
        oc = official_contacts.c
        query = select(oc.official_id).where(oc.official_id == _ids(sorted(set(official_ids))))
        return set((await self._c.execute(query)).scalars())

    async def write(self, w: BatchWrite) -> None:
        """Everything the batch decided, in dependency order."""
        gone = sorted(d for d, kept in w.contacts.items() if kept is None)
        kept = [
            {
                "dossier_id": d,
                "sealed": k[0],
                "channels": ",".join(ch.value for ch in k[1]),
            }
            for d, k in sorted(w.contacts.items())
            if k is not None
        ]
        await bulk.write_contacts(self._c, gone, kept)
        officials = [  # in key order: two batches upserting the same officials do not deadlock
            {"official_id": o, "sealed": sealed, "seen_at": at}
            for o, (sealed, at) in sorted(w.officials.items())
        ]
        await bulk.write_official_contacts(self._c, officials)
        await self._states(w.states)
        await self._update_letters(w.letters)
        await self._insert_letters(w.new_letters)
        await self._amendments(w.amendments)
        await self._withdraw(w.withdraw, w.now)
        await self._requeue(w.requeue)
        await bulk.insert_jobs(self._c, [j.model_dump(mode="python") for j in w.notifications])
        await self._cancel(w.cancel, w.now)

    async def _states(self, folded: list[DossierState]) -> None:
        if folded:
            stmt = pg_insert(states)
            stmt = stmt.on_conflict_do_update(
                index_elements=["dossier_id"],
                set_={"state": stmt.excluded.state, "updated_at": func.now()},
            )
            params = [
                {"dossier_id": s.dossier_id, "state": s.model_dump(mode="json")} for s in folded
            ]
            await self._c.execute(stmt, params)
        rows = []
        for s in folded:
            if s.facts is None:
                continue  # a reschedule or a transfer before reception: kept once facts come
            f = s.facts.model_copy(update={"unit_code": s.processing_unit or s.facts.unit_code})
            served = s.timeliness in ("early", "on_time", "within_time")
            rows.append(
                {k: getattr(f, k) for k in FACT_COLS}
                | {
                    "dossier_id": s.dossier_id,
                    "breached_at": None if served else s.breached_at,
                    "finished_at": s.finished_at,
                }
            )
        if not rows:
            return
        stmt = pg_insert(facts)
        cols = (*FACT_COLS, "breached_at", "finished_at")
        stmt = stmt.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={k: stmt.excluded[k] for k in cols} | {"updated_at": func.now()},
        )
        await self._c.execute(stmt, rows)

    async def _update_letters(self, rows: list[Letter]) -> None:
        if not rows:
            return
        cols = (
            "cause",
            "reason",
            "new_due_at",
            "revision",
            "withdrawn_at",
            "held_at",
            "status",
            "ready_at",
            "amendments",
        )
        stmt = (
            update(letters)
            .where(letters.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in cols})
        )
        params = [
            {"b_id": lt.id} | {f"b_{k}": v for k, v in lt.model_dump(include=set(cols)).items()}
            for lt in rows
        ]
        await self._c.execute(stmt, params)

    async def _insert_letters(self, new: list[Letter]) -> None:
        if not new:
            return
        counts: dict[tuple[str, int], int] = {}
        for lt in new:
            counts[(lt.unit_code, lt.year)] = counts.get((lt.unit_code, lt.year), 0) + 1
        last = await bulk.number_letters(self._c, counts)
        next_number = {key: last[key] - n + 1 for key, n in counts.items()}
        numbered = []
        for lt in new:
            key = (lt.unit_code, lt.year)
            numbered.append(lt.model_copy(update={"number": next_number[key]}))
            next_number[key] += 1
        written = await bulk.insert_letters(self._c, numbered)
        if written != len(numbered):
            # Only a writer bypassing the dossier locks can get here: roll the batch back.
            raise RuntimeError(f"{len(numbered) - written} letters already existed under lock")

    async def _amendments(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._c.execute(pg_insert(letter_amendments).on_conflict_do_nothing(), rows)

    async def _withdraw(self, why: dict[int, str], at: datetime) -> None:
        n = notifications.c
        for letter_id, reason in sorted(why.items()):
            await self._c.execute(
                update(notifications)
                .where(n.letter_id == letter_id, n.status == "pending")
                .values(status="failed", failed_at=at, last_error=reason)
            )

    async def _requeue(self, at: dict[int, datetime]) -> None:
        n = notifications.c
        for letter_id, not_before in sorted(at.items()):
            await self._c.execute(
                update(notifications)
                .where(
                    n.letter_id == letter_id,
                    n.status == "failed",
                    n.last_error.like("withdrawn:%"),
                )
                .values(
                    status="pending",
                    failed_at=None,
                    last_error=None,
                    not_before=not_before,
                    attempts=0,
                )
            )

    async def _cancel(self, found: list[tuple[str, str]], at: datetime) -> None:
        """Pending reminders that no longer hold (the window reminder of an overdue dossier);
        found through the dossier index, then matched by key prefix."""
        if not found:
            return
        n = notifications.c
        prefixes = sorted({p for _, p in found})
        await self._c.execute(
            update(notifications)
            .where(
                n.dossier_id == _ids(sorted({d for d, _ in found}), "cancel_ids"),
                n.status == "pending",
                n.kind == "reminder",
                or_(*(n.dedup_key.startswith(literal(p)) for p in prefixes)),
            )
            .values(status="failed", failed_at=at, last_error="withdrawn: no longer due")
        )


class _Row:
    """A mapping row with attribute access (``row.state``) and item access."""

    def __init__(self, row: Any) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row[name]

    def __getitem__(self, name: str) -> Any:
        return self._row[name]


__all__ = ["BatchSql", "ChannelName"]

"""SQL repository, findings outbox and unit of work of sync-audit (no commit inside methods)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import orjson
from dunghan_common.db import SqlUnitOfWork, add_to_outbox
from dunghan_common.events import encode_event
from dunghan_common.kafka import OutgoingRecord
from sqlalchemy import Row, and_, bindparam, cast, func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import Text

from sync_audit.adapters.bulk import bulk_insert, upsert_tail
from sync_audit.adapters.tables import attributions, escalations, observations, outages, outbox
from sync_audit.adapters.tables import revisions as revisions_table
from sync_audit.domain.model import (
    AttributionHead,
    CurrentAttribution,
    Escalation,
    Observation,
    OutageWindow,
    Revision,
)

_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(d, 5002)) FROM unnest(:ids) AS d ORDER BY d"
).bindparams(bindparam("ids", type_=ARRAY(Text)))


class SqlAuditRepository:
    """The `AuditRepository` port on PostgreSQL."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_observations(
        self, items: Sequence[Observation], recorded_at: datetime
    ) -> list[Observation]:
        """Insert what is new (one statement); duplicates by (source, id) are dropped."""
        unique = {o.event_key: o for o in items}
        # The first copy's arrival counts: a redelivery does not restart sla's grace.
        rows = [
            {
                "event_key": o.event_key,
                "dossier_id": o.dossier_id,
                "type": o.type,
                "time": o.time,
                "data": o.data,
                "recorded_at": recorded_at,
            }
            for o in unique.values()
        ]
        tail = "ON CONFLICT (event_key) DO NOTHING RETURNING event_key"
        return [unique[k] for k in await bulk_insert(self._conn, observations, rows, tail)]

    async def merge_outages(self, windows: Sequence[OutageWindow]) -> list[OutageWindow]:
        """Fold starts and ends: earliest start, latest end; duplicates change nothing."""
        merged: dict[str, OutageWindow] = {}
        for w in windows:
            merged[w.outage_id] = _merge(merged.get(w.outage_id), w)
        stmt = insert(outages).values([w.model_dump() for w in merged.values()])
        upsert = stmt.on_conflict_do_update(
            index_elements=["outage_id"],
            set_={
                "started_at": func.least(outages.c.started_at, stmt.excluded.started_at),
                "ended_at": func.greatest(outages.c.ended_at, stmt.excluded.ended_at),
            },
        )
        result = await self._conn.execute(upsert.returning(*outages.c))
        return [OutageWindow.model_validate(dict(r._mapping)) for r in result]

    async def dossiers_due_in(self, windows: Sequence[OutageWindow]) -> set[str]:
        """Dossiers whose judged due time lies inside a window."""
        due = attributions.c.due_at
        conditions = [
            and_(due >= w.started_at, due <= w.ended_at) if w.ended_at else due >= w.started_at
            for w in windows
            if w.started_at is not None
        ]
        if not conditions:
            return set()
        query = select(attributions.c.dossier_id).where(or_(*conditions))
        return set((await self._conn.execute(query)).scalars())

    async def lock_dossiers(self, dossier_ids: Sequence[str]) -> None:
        """Advisory locks in sorted order (no deadlock between replicas and the tick)."""
        await self._conn.execute(_LOCK, {"ids": sorted(dossier_ids)})

    async def observations_of(self, dossier_ids: Sequence[str]) -> dict[str, list[Observation]]:
        """All stored observations of the dossiers."""
        c = observations.c
        # JSONB as text, parsed with orjson: the driver's stdlib json was a tenth of the CPU.
        data = cast(c.data, Text)
        query = select(c.event_key, c.dossier_id, c.type, c.time, data, c.recorded_at).where(
            c.dossier_id == _any(dossier_ids)
        )
        found: dict[str, list[Observation]] = {}
        for key, dossier, kind, at, raw, recorded in await self._conn.execute(query):
            # (pydantic's `model_construct` is slower than this validation: it is pure Python)
            o = Observation.model_validate(
                {
                    "event_key": key,
                    "dossier_id": dossier,
                    "type": kind,
                    "time": at,
                    "data": orjson.loads(raw),
                    "recorded_at": recorded,
                }
            )
            found.setdefault(dossier, []).append(o)
        return found

    async def outages_covering(self, instants: Sequence[datetime]) -> list[OutageWindow]:
        """Windows overlapping the span of the instants (the domain checks each instant)."""
        if not instants:
            return []
        lo, hi = min(instants), max(instants)
        query = select(outages).where(
            outages.c.started_at <= hi,
            or_(outages.c.ended_at.is_(None), outages.c.ended_at >= lo),
        )
        return [
            OutageWindow.model_validate(dict(r._mapping)) for r in await self._conn.execute(query)
        ]

    async def attribution_heads_of(self, dossier_ids: Sequence[str]) -> dict[str, AttributionHead]:
        """Cause, revision and time by dossier (the evidence is not read back: only replaced)."""
        c = attributions.c
        query = select(c.dossier_id, c.cause, c.revision, c.attributed_at).where(
            c.dossier_id == _any(dossier_ids)
        )
        rows = await self._conn.execute(query)
        return {r.dossier_id: AttributionHead.model_validate(r._mapping) for r in rows}

    async def escalations_touching(self, dossier_ids: Sequence[str]) -> list[Escalation]:
        """Escalations about any of the dossiers (an outage's lists several)."""
        c = escalations.c
        ids = list(dossier_ids)
        touches = c.dossier_ids.op("?|")(bindparam("touching", ids, type_=ARRAY(Text)))
        query = select(escalations).where(or_(c.dossier_id == _any(ids), touches))
        return [
            Escalation.model_validate(dict(r._mapping)) for r in await self._conn.execute(query)
        ]

    async def escalations_by_id(self, escalation_ids: Sequence[str]) -> list[Escalation]:
        """Escalations by id (those that do not exist are left out)."""
        if not escalation_ids:
            return []
        query = select(escalations).where(escalations.c.id == _any(escalation_ids))
        return [
            Escalation.model_validate(dict(r._mapping)) for r in await self._conn.execute(query)
        ]

    async def clear_next_checks(self, dossier_ids: Sequence[str]) -> None:
        """No reconciliation tick for these dossiers until their next assessment sets one."""
        c = attributions.c
        stmt = attributions.update().where(c.dossier_id == _any(dossier_ids))
        await self._conn.execute(stmt.values(next_check_at=None))

    async def portal_checks(
        self, period: str, unit_code: str | None, now: datetime, limit: int, after: str | None
    ) -> list[CurrentAttribution]:
        """Dossiers of a month past their due date whose portal view is unknown, by dossier."""
        c = attributions.c
        query = (
            select(attributions)
            .where(c.period == period, c.portal_view == "unknown", c.due_at < now)
            .order_by(c.dossier_id)
            .limit(limit)
        )
        if unit_code is not None:
            query = query.where(c.unit_code == unit_code)
        if after is not None:
            query = query.where(c.dossier_id > after)
        return [_attribution(r) for r in await self._conn.execute(query)]

    async def save_attributions(self, rows: Sequence[CurrentAttribution]) -> None:
        """Upsert current attributions (one statement)."""
        await _upsert(self._conn, attributions, ["dossier_id"], [_dump(r) for r in rows])

    async def add_revisions(self, rows: Sequence[Revision]) -> None:
        """Append revisions; a replayed one is already there and stays as it was."""
        await bulk_insert(
            self._conn, revisions_table, [_dump(r) for r in rows], "ON CONFLICT DO NOTHING"
        )

    async def save_escalations(self, rows: Sequence[Escalation]) -> None:
        """Upsert escalations."""
        await _upsert(self._conn, escalations, ["id"], [r.model_dump() for r in rows])

    async def due_for_check(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """Dossiers whose next check has come; rows another replica holds are skipped."""
        c = attributions.c
        query = (
            select(c.dossier_id, c.next_check_at)
            .where(c.next_check_at <= now)
            .order_by(c.next_check_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(r.dossier_id, r.next_check_at) for r in await self._conn.execute(query)]

    async def escalation(self, escalation_id: str, for_update: bool = False) -> Escalation | None:
        """One escalation, locked for a transition when asked."""
        query = select(escalations).where(escalations.c.id == escalation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return Escalation.model_validate(dict(row._mapping)) if row else None

    async def attribution(self, dossier_id: str) -> CurrentAttribution | None:
        """The current attribution of one dossier."""
        query = select(attributions).where(attributions.c.dossier_id == dossier_id)
        row = (await self._conn.execute(query)).first()
        return _attribution(row) if row else None

    async def revisions(self, dossier_id: str) -> list[Revision]:
        """Revisions of one dossier, oldest first."""
        t = revisions_table
        query = select(t).where(t.c.dossier_id == dossier_id).order_by(t.c.revision)
        return [Revision.model_validate(dict(r._mapping)) for r in await self._conn.execute(query)]

    async def list_escalations(
        self,
        status: str | None,
        cause: str | None,
        unit_code: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Escalation]:
        """A keyset page by (opened_at, id)."""
        c = escalations.c
        query = select(escalations).order_by(c.opened_at, c.id).limit(limit)
        for column, value in ((c.status, status), (c.cause, cause), (c.unit_code, unit_code)):
            if value is not None:
                query = query.where(column == value)
        if after is not None:
            query = query.where(tuple_(c.opened_at, c.id) > tuple_(*after))
        return [
            Escalation.model_validate(dict(r._mapping)) for r in await self._conn.execute(query)
        ]

    async def corrections(self, period: str, unit_code: str | None) -> list[CurrentAttribution]:
        """Software and sync attributions of a month, by dossier."""
        c = attributions.c
        query = (
            select(attributions)
            .where(c.period == period, c.cause.in_(["software_error", "sync_error"]))
            .order_by(c.dossier_id)
        )
        if unit_code is not None:
            query = query.where(c.unit_code == unit_code)
        return [_attribution(r) for r in await self._conn.execute(query)]

    async def open_escalation_counts(self) -> dict[str, int]:
        """Escalations not yet resolved, by cause."""
        c = escalations.c
        query = (
            select(c.cause, func.count())
            .where(c.status.not_in(["resolved", "withdrawn"]))
            .group_by(c.cause)
        )
        return {str(r[0]): int(r[1]) for r in await self._conn.execute(query)}


def _any(ids: Sequence[str]) -> Any:
    """``= ANY(:ids)`` with one array parameter: the statement stays cached, unlike an ``IN``
    list of a thousand literals rendered anew for every batch."""
    return func.any(bindparam("ids", list(ids), type_=ARRAY(Text)))


def _merge(a: OutageWindow | None, b: OutageWindow) -> OutageWindow:
    if a is None:
        return b
    starts = [t for t in (a.started_at, b.started_at) if t is not None]
    ends = [t for t in (a.ended_at, b.ended_at) if t is not None]
    update = {
        "started_at": min(starts) if starts else None,
        "ended_at": max(ends) if ends else None,
    }
    return a.model_copy(update=update)


def _dump(model: CurrentAttribution | Revision) -> dict[str, Any]:
    """The row's columns; the evidence models are serialised once, by `bulk_insert`."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def _attribution(row: Row[Any]) -> CurrentAttribution:
    return CurrentAttribution.model_validate(dict(row._mapping))


async def _upsert(
    conn: AsyncConnection, table: Any, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    if rows:
        await bulk_insert(conn, table, rows, upsert_tail(keys, list(rows[0])))


class SqlFindingsOutbox:
    """The `FindingsOutbox` port: encodes CloudEvents (binary mode) into the outbox table.

    Events are buffered and written in one statement just before the commit.
    """

    def __init__(self, conn: AsyncConnection, topic: str, source: str) -> None:
        self._conn = conn
        self._topic = topic
        self._source = source
        self._pending: list[OutgoingRecord] = []

    async def add(
        self,
        event_type: str,
        dossier_id: str,
        data: Mapping[str, Any],
        event_id: str,
        time: datetime,
    ) -> None:
        """Encode and queue one `audit.*` event."""
        message = encode_event(
            event_type, dossier_id, data, event_id=event_id, source=self._source, time=time
        )
        self._pending.append(
            OutgoingRecord(self._topic, message.value, message.key, message.headers)
        )

    async def flush(self) -> None:
        """Write the buffered events into the outbox table."""
        pending, self._pending = self._pending, []
        await add_to_outbox(self._conn, outbox, pending)


class SqlAuditUnitOfWork:
    """The `AuditUnitOfWork` port: one PostgreSQL transaction."""

    def __init__(self, engine: AsyncEngine, topic: str, source: str) -> None:
        self._inner = SqlUnitOfWork(engine)
        self._topic = topic
        self._source = source
        self._repo: SqlAuditRepository | None = None
        self._findings: SqlFindingsOutbox | None = None

    @property
    def repo(self) -> SqlAuditRepository:
        """The repository on this transaction."""
        if self._repo is None:
            raise RuntimeError("unit of work not entered")
        return self._repo

    @property
    def findings(self) -> SqlFindingsOutbox:
        """The outbox on this transaction."""
        if self._findings is None:
            raise RuntimeError("unit of work not entered")
        return self._findings

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        conn = self._inner.connection
        self._repo = SqlAuditRepository(conn)
        self._findings = SqlFindingsOutbox(conn, self._topic, self._source)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        """Flush the queued findings and commit the transaction."""
        await self.findings.flush()
        await self._inner.commit()

"""The projection on PostgreSQL, set-based, over a raw asyncpg pool.

Raw asyncpg, not SQLAlchemy, on the hot path: each statement is one network round trip (no
BEGIN/COMMIT, no pre-ping). A consumed batch is one read and one write; the write is a single
statement, hence a single transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from sla.adapters.rows import (
    FOLD_FIELDS,
    STATE_FIELDS,
    event_from_row,
    sql_type,
    state_columns,
)
from sla.domain.fold import SNAPSHOT_VERSION, Folded
from sla.domain.model import DossierEvent
from sla.domain.timers import Timer
from sla.domain.verdicts import Announced
from sla.domain.watermark import PartitionProgress
from sla.ports import OutboxRow, Stored

# One read per batch: the fold snapshots of the batch's dossiers, except where a new event sorts
# before the stored last event (a late event, or a redelivered one) or the snapshot is missing or
# of another version: there the full history (chunks, and rows stored before 0002), to fold again.
LOAD = f"""
WITH incoming AS (  -- per dossier, its earliest event of the batch
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[])
    AS t(dossier_id, time, source, event_id)
), stored AS (
  SELECT dossier_id, fold, last_event_at, last_source, last_event_id, verdict FROM sla_dossiers
   WHERE dossier_id = ANY($1::text[])
), refold AS (
  SELECT s.dossier_id FROM stored s
   WHERE s.fold IS NULL OR s.fold->>'v' IS DISTINCT FROM '{SNAPSHOT_VERSION}'
  UNION
  SELECT i.dossier_id FROM incoming i JOIN stored s USING (dossier_id)
   WHERE (i.time, i.source, i.event_id) <= (s.last_event_at, s.last_source, s.last_event_id)
)
SELECT s.dossier_id, 0 AS part, s.fold::text AS data, NULL::text AS source,
       NULL::text AS event_id, NULL::text AS type, NULL::timestamptz AS time
  FROM stored s WHERE s.dossier_id NOT IN (SELECT dossier_id FROM refold)
UNION ALL
SELECT c.dossier_id, 1, c.events::text, NULL, NULL, NULL, NULL
  FROM sla_event_chunks c WHERE c.dossier_id IN (SELECT dossier_id FROM refold)
UNION ALL
SELECT e.dossier_id, 2, e.data::text, e.source, e.event_id, e.type, e.time
  FROM sla_events e WHERE e.dossier_id IN (SELECT dossier_id FROM refold)
UNION ALL
SELECT s.dossier_id, 3, s.verdict::text, NULL, NULL, NULL, NULL
  FROM stored s WHERE s.verdict IS NOT NULL
"""  # noqa: S608 - a constant, every value is a bind parameter

_N = len(STATE_FIELDS)
_STATE_ARRAYS = ", ".join(f"${i + 1}::{sql_type(n)}[]" for i, n in enumerate(STATE_FIELDS))
_COLS = ", ".join(STATE_FIELDS)
_SELECT = ", ".join("flags::jsonb" if n == "flags" else n for n in STATE_FIELDS)
_SET = ", ".join(f"{n} = excluded.{n}" for n in (*STATE_FIELDS, *FOLD_FIELDS) if n != "dossier_id")
T0 = _N + 1  # first parameter of the timers
A0 = T0 + 5  # of the alerts
F0 = A0 + 7  # of the fold snapshots
E0 = F0 + 4  # of the event chunks
P0 = E0 + 2  # of the partitions' progress

# The batch's progress per partition; never moves backwards (a stale replica in a rebalance).
PROGRESS_UPSERT = """
INSERT INTO sla_progress (topic, partition, applied_offset, max_event_time, updated_at)
SELECT topic, partition, applied_offset, max_event_time, now()
  FROM unnest(${p}::text[], ${p1}::int[], ${p2}::bigint[], ${p3}::timestamptz[])
    AS t(topic, partition, applied_offset, max_event_time)
ON CONFLICT (topic, partition) DO UPDATE SET
  applied_offset = greatest(sla_progress.applied_offset, excluded.applied_offset),
  max_event_time = greatest(sla_progress.max_event_time, excluded.max_event_time),
  updated_at = now()
"""
RECORD_PROGRESS = PROGRESS_UPSERT.format(p=1, p1=2, p2=3, p3=4)

# One write per batch, one statement, so one transaction: the new events, the dossiers with their
# fold snapshots, their pending timers, the fired log, the outbox and the partitions' progress
# commit together or not at all.
SAVE = f"""
WITH progress_up AS (
{PROGRESS_UPSERT.format(p=P0, p1=P0 + 1, p2=P0 + 2, p3=P0 + 3)}
), chunk_in AS (
  SELECT * FROM unnest(${E0}::text[], ${E0 + 1}::text[]) AS t(dossier_id, events)
), chunk_up AS (
  INSERT INTO sla_event_chunks (dossier_id, events)
  SELECT dossier_id, events::json FROM chunk_in
), state_in AS (
  SELECT * FROM unnest({_STATE_ARRAYS}, ${F0}::text[], ${F0 + 1}::text[], ${F0 + 2}::text[],
                       ${F0 + 3}::text[])
    AS t({_COLS}, fold, last_source, last_event_id, verdict)
), state_up AS (  -- a stale writer (fewer events folded) changes nothing below: see `written`
  INSERT INTO sla_dossiers ({_COLS}, fold, last_source, last_event_id, verdict)
  SELECT {_SELECT}, fold::json, last_source, last_event_id, verdict::jsonb FROM state_in
  ON CONFLICT (dossier_id) DO UPDATE SET {_SET},
    verdict = coalesce(excluded.verdict, sla_dossiers.verdict)
  WHERE sla_dossiers.event_count <= excluded.event_count
  RETURNING dossier_id
), written AS (
  SELECT dossier_id FROM state_up
), timer_in AS (
  SELECT * FROM unnest(${T0}::text[], ${T0 + 1}::text[], ${T0 + 2}::text[],
                       ${T0 + 3}::timestamptz[], ${T0 + 4}::timestamptz[])
    AS t(dossier_id, kind, occasion, due_at, fire_at)
), wanted AS (
  SELECT t.* FROM timer_in t
   WHERE t.dossier_id IN (SELECT dossier_id FROM written) AND NOT EXISTS (
    SELECT 1 FROM sla_fired f
     WHERE f.dossier_id = t.dossier_id AND f.kind = t.kind AND f.occasion = t.occasion)
), dropped AS (
  DELETE FROM sla_timers s WHERE s.dossier_id IN (SELECT dossier_id FROM written) AND NOT EXISTS (
    SELECT 1 FROM wanted w WHERE w.dossier_id = s.dossier_id AND w.kind = s.kind)
), timer_up AS (
  INSERT INTO sla_timers (dossier_id, kind, occasion, due_at, fire_at)
  SELECT dossier_id, kind, occasion, due_at, fire_at FROM wanted
  ON CONFLICT (dossier_id, kind) DO UPDATE
    SET occasion = excluded.occasion, due_at = excluded.due_at, fire_at = excluded.fire_at
  WHERE sla_timers.occasion IS DISTINCT FROM excluded.occasion
     OR sla_timers.fire_at IS DISTINCT FROM excluded.fire_at
), alert_in AS (
  SELECT * FROM unnest(${A0}::text[], ${A0 + 1}::text[], ${A0 + 2}::text[],
                       ${A0 + 3}::text[], ${A0 + 4}::bytea[], ${A0 + 5}::bytea[],
                       ${A0 + 6}::text[]) WITH ORDINALITY
    AS t(dossier_id, kind, occasion, topic, key, value, headers, n)
), alert_new AS (
  INSERT INTO sla_fired (dossier_id, kind, occasion, fired_at)
  SELECT dossier_id, kind, occasion, now() FROM alert_in
   WHERE dossier_id IN (SELECT dossier_id FROM written)
  ON CONFLICT DO NOTHING
  RETURNING dossier_id, kind, occasion
)
INSERT INTO sla_outbox (topic, key, value, headers)
SELECT a.topic, a.key, a.value, a.headers::jsonb
  FROM alert_in a JOIN alert_new USING (dossier_id, kind, occasion)
 ORDER BY a.n
"""  # noqa: S608 - constant fragments only, every value is a bind parameter


def outbox_headers(row: OutboxRow) -> str:
    """Headers as the outbox relay stores them: a JSON list of [name, text value]."""
    return orjson.dumps([[k, v.decode()] for k, v in row.headers]).decode()


def _verdict(verdict: Announced | None) -> str | None:
    """The stored form of an announced verdict; None keeps the stored one."""
    return None if verdict is None else orjson.dumps(verdict.to_json()).decode()


def _chunks(events: Sequence[DossierEvent]) -> tuple[list[str], list[str]]:
    """The events as one JSON array per dossier: [source, id, type, time, data] each, and the
    flags as a sixth item when the event carries some."""
    by_dossier: dict[str, list[list[Any]]] = {}
    for e in events:
        item = [e.source, e.event_id, e.type, e.time, e.data]
        by_dossier.setdefault(e.dossier_id, []).append([*item, e.flags] if e.flags else item)
    return list(by_dossier), [orjson.dumps(c).decode() for c in by_dossier.values()]


def _chunk_events(dossier_id: str, chunk: str) -> list[DossierEvent]:
    """The events of a stored chunk."""
    return [
        DossierEvent(
            source,
            event_id,
            dossier_id,
            type_,
            dt.datetime.fromisoformat(time),
            data,
            tuple(flags[0]) if flags else (),
        )
        for source, event_id, type_, time, data, *flags in orjson.loads(chunk)
    ]


def _progress_columns(progress: Sequence[PartitionProgress]) -> list[list[Any]]:
    """The progress rows as the four arrays of ``PROGRESS_UPSERT``."""
    return [
        [p.topic for p in progress],
        [p.partition for p in progress],
        [p.applied_offset for p in progress],
        [p.max_event_time for p in progress],
    ]


class SqlProjectionStore:
    """``ProjectionStore`` on PostgreSQL: one read and one single-statement write per batch."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.statements = 0  # round trips issued, for the metrics and the benchmark

    async def load(self, events: Sequence[DossierEvent]) -> Stored:
        """Snapshots of the batch's dossiers, or their histories where an event is late."""
        earliest: dict[str, DossierEvent] = {}
        for e in events:
            first = earliest.get(e.dossier_id)
            if first is None or e.key < first.key:
                earliest[e.dossier_id] = e
        rows = await self._pool.fetch(
            LOAD,
            list(earliest),
            [e.time for e in earliest.values()],
            [e.source for e in earliest.values()],
            [e.event_id for e in earliest.values()],
        )
        self.statements += 1
        stored = Stored()
        for r in rows:
            dossier_id, part = r["dossier_id"], r["part"]
            if part == 3:
                stored.verdicts[dossier_id] = Announced.from_json(orjson.loads(r["data"]))
                continue
            if part == 0:
                stored.snapshots[dossier_id] = orjson.loads(r["data"])
                continue
            history = stored.histories.setdefault(dossier_id, [])
            if part == 1:
                history.extend(_chunk_events(dossier_id, r["data"]))
            else:
                history.append(event_from_row(r))
        return stored

    async def save(
        self,
        events: Sequence[DossierEvent],
        folds: Sequence[Folded],
        timers: Sequence[Timer],
        alerts: Sequence[OutboxRow],
        progress: Sequence[PartitionProgress] = (),
        verdicts: Mapping[str, Announced] | None = None,
    ) -> None:
        """Everything the batch changes, in one statement (one implicit transaction)."""
        states = [f.state for f in folds]
        said = verdicts or {}
        args = [
            *state_columns(states),
            [t.dossier_id for t in timers],
            [t.kind for t in timers],
            [t.occasion for t in timers],
            [t.due_at for t in timers],
            [t.fire_at for t in timers],
            [a.dossier_id for a in alerts],
            [a.kind for a in alerts],
            [a.occasion for a in alerts],
            [a.topic for a in alerts],
            [a.key for a in alerts],
            [a.value for a in alerts],
            [outbox_headers(a) for a in alerts],
            [orjson.dumps(f.snapshot).decode() for f in folds],
            [None if f.last is None else f.last[1] for f in folds],
            [None if f.last is None else f.last[2] for f in folds],
            [_verdict(said.get(s.dossier_id)) for s in states],
            *_chunks(events),
            *_progress_columns(progress),
        ]
        await self._pool.execute(SAVE, *args)
        self.statements += 1

    async def record_progress(self, progress: Sequence[PartitionProgress]) -> None:
        """The progress of a batch that changed no dossier: one statement."""
        await self._pool.execute(RECORD_PROGRESS, *_progress_columns(progress))
        self.statements += 1

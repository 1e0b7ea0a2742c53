"""The due-time queue and the projector's progress rows on PostgreSQL (raw asyncpg)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from sla.adapters.rows import STATE_FIELDS, state_from_row
from sla.adapters.sql_projection import outbox_headers
from sla.domain.watermark import PartitionProgress
from sla.ports import Encoder, FiredTimer

_DOSSIER = ", ".join(f"d.{n}" for n in STATE_FIELDS)
# $3 the cutoff (the event-time watermark less its margin), $2 the batch, $1 the firing time.
# A timer fires only for a dossier still open, with its clock running and the same judged due
# date (`live`): a timer left behind by anything else is taken off the queue and fires nothing.
# A fired breach is the dossier's announced verdict from then on (overdue at that due date).
FIRE_DUE = f"""
WITH due AS (
  SELECT dossier_id, kind FROM sla_timers WHERE fire_at <= $3
   ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED
), taken AS (
  DELETE FROM sla_timers t USING due
   WHERE t.dossier_id = due.dossier_id AND t.kind = due.kind
  RETURNING t.dossier_id, t.kind, t.occasion, t.due_at, t.fire_at
), live AS (
  SELECT t.* FROM taken t JOIN sla_dossiers d ON d.dossier_id = t.dossier_id
   WHERE d.finished_at IS NULL AND d.clock_state = 'running' AND d.due_at = t.due_at
), first_time AS (
  INSERT INTO sla_fired (dossier_id, kind, occasion, fired_at)
  SELECT dossier_id, kind, occasion, $1 FROM live
  ON CONFLICT DO NOTHING
  RETURNING dossier_id, kind, occasion
), said AS (
  UPDATE sla_dossiers d SET verdict = jsonb_build_object(
      't', 'overdue', 'due', to_jsonb(l.due_at), 'n', coalesce((d.verdict->>'n')::int, 0))
    FROM live l JOIN first_time USING (dossier_id, kind, occasion)
   WHERE l.kind = 'breach' AND d.dossier_id = l.dossier_id
)
SELECT t.kind AS timer_kind, t.due_at AS timer_due_at, t.fire_at AS timer_fire_at,
       {_DOSSIER}
  FROM live t
  JOIN first_time USING (dossier_id, kind, occasion)
  JOIN sla_dossiers d ON d.dossier_id = t.dossier_id
 ORDER BY t.fire_at
"""  # noqa: S608 - constant fragments only

QUEUE_ALERTS = """
INSERT INTO sla_outbox (topic, key, value, headers)
SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::jsonb[])
"""

# One row per partition: a primary-key range read, O(partitions), never a scan of timers.
READ_PROGRESS = """
SELECT topic, partition, applied_offset, max_event_time FROM sla_progress WHERE topic = $1
"""


class SqlTimerStore:
    """``TimerStore`` on PostgreSQL: ``FOR UPDATE SKIP LOCKED`` plus a unique fired log."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fire_due(
        self, until: dt.datetime, now: dt.datetime, limit: int, encode: Encoder
    ) -> list[FiredTimer]:
        """Take up to ``limit`` timers due by ``until``, in fire order, and queue their alerts
        atomically; the fired log records ``now``."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(FIRE_DUE, now, limit, until)
            fired = [
                FiredTimer(
                    kind=r["timer_kind"],
                    due_at=r["timer_due_at"],
                    fire_at=r["timer_fire_at"],
                    dossier=state_from_row(r),
                )
                for r in rows
            ]
            encoded = [row for row in map(encode, fired) if row is not None]
            if encoded:
                await conn.execute(
                    QUEUE_ALERTS,
                    [a.topic for a in encoded],
                    [a.key for a in encoded],
                    [a.value for a in encoded],
                    [outbox_headers(a) for a in encoded],
                )
        return fired

    async def reference_now(self) -> dt.datetime:
        """The database server's clock."""
        value: dt.datetime = await self._pool.fetchval("SELECT now()")
        return value

    async def progress(self, topic: str) -> dict[int, PartitionProgress]:
        """The projector's progress rows of the topic: one per partition, a key lookup."""
        rows = await self._pool.fetch(READ_PROGRESS, topic)
        return {
            r["partition"]: PartitionProgress(
                r["topic"], r["partition"], r["applied_offset"], r["max_event_time"]
            )
            for r in rows
        }

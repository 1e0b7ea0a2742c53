"""The projection and the due-time queue on PostgreSQL, set-based, over a raw asyncpg pool.

Raw asyncpg, not SQLAlchemy, on the hot path: each statement is one network round trip (no
BEGIN/COMMIT, no pre-ping), which is what keeps a consumed batch at two round trips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg
import orjson

from sla.adapters.rows import STATE_FIELDS, event_from_row, sql_type, state_columns, state_from_row
from sla.domain.model import DossierEvent, DossierState
from sla.domain.timers import Timer
from sla.ports import Encoder, FiredTimer, OutboxRow

ADD_EVENTS = """
WITH incoming AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                       $6::text[]) AS t(source, event_id, dossier_id, type, time, data)
), added AS (
  INSERT INTO sla_events (source, event_id, dossier_id, type, time, data)
  SELECT source, event_id, dossier_id, type, time, data::jsonb FROM incoming
  ON CONFLICT (source, event_id) DO NOTHING
  RETURNING source, event_id, dossier_id, type, time, data
)
SELECT source, event_id, dossier_id, type, time, data FROM sla_events
 WHERE dossier_id = ANY($7::text[])
UNION ALL
SELECT source, event_id, dossier_id, type, time, data FROM added
"""

_N = len(STATE_FIELDS)
_STATE_ARRAYS = ", ".join(f"${i + 1}::{sql_type(n)}[]" for i, n in enumerate(STATE_FIELDS))
_COLS = ", ".join(STATE_FIELDS)
_SELECT = ", ".join("flags::jsonb" if n == "flags" else n for n in STATE_FIELDS)
_SET = ", ".join(f"{n} = excluded.{n}" for n in STATE_FIELDS if n != "dossier_id")
T0 = _N + 1  # first parameter of the timers

SAVE = f"""
WITH state_in AS (
  SELECT * FROM unnest({_STATE_ARRAYS}) AS t({_COLS})
), state_up AS (
  INSERT INTO sla_dossiers ({_COLS}) SELECT {_SELECT} FROM state_in
  ON CONFLICT (dossier_id) DO UPDATE SET {_SET}
  WHERE sla_dossiers.event_count <= excluded.event_count
), timer_in AS (
  SELECT * FROM unnest(${T0}::text[], ${T0 + 1}::text[], ${T0 + 2}::text[],
                       ${T0 + 3}::timestamptz[], ${T0 + 4}::timestamptz[])
    AS t(dossier_id, kind, occasion, due_at, fire_at)
), wanted AS (
  SELECT t.* FROM timer_in t WHERE NOT EXISTS (
    SELECT 1 FROM sla_fired f
     WHERE f.dossier_id = t.dossier_id AND f.kind = t.kind AND f.occasion = t.occasion)
), dropped AS (
  DELETE FROM sla_timers s WHERE s.dossier_id = ANY($1::text[]) AND NOT EXISTS (
    SELECT 1 FROM wanted w WHERE w.dossier_id = s.dossier_id AND w.kind = s.kind)
), timer_up AS (
  INSERT INTO sla_timers (dossier_id, kind, occasion, due_at, fire_at)
  SELECT dossier_id, kind, occasion, due_at, fire_at FROM wanted
  ON CONFLICT (dossier_id, kind) DO UPDATE
    SET occasion = excluded.occasion, due_at = excluded.due_at, fire_at = excluded.fire_at
  WHERE sla_timers.occasion IS DISTINCT FROM excluded.occasion
     OR sla_timers.fire_at IS DISTINCT FROM excluded.fire_at
), alert_in AS (
  SELECT * FROM unnest(${T0 + 5}::text[], ${T0 + 6}::text[], ${T0 + 7}::text[],
                       ${T0 + 8}::text[], ${T0 + 9}::bytea[], ${T0 + 10}::bytea[],
                       ${T0 + 11}::text[]) WITH ORDINALITY
    AS t(dossier_id, kind, occasion, topic, key, value, headers, n)
), alert_new AS (
  INSERT INTO sla_fired (dossier_id, kind, occasion, fired_at)
  SELECT dossier_id, kind, occasion, now() FROM alert_in
  ON CONFLICT DO NOTHING
  RETURNING dossier_id, kind, occasion
)
INSERT INTO sla_outbox (topic, key, value, headers)
SELECT a.topic, a.key, a.value, a.headers::jsonb
  FROM alert_in a JOIN alert_new USING (dossier_id, kind, occasion)
 ORDER BY a.n
"""  # noqa: S608 - constant fragments only, every value is a bind parameter

FIRE_DUE = """
WITH due AS (
  SELECT dossier_id, kind FROM sla_timers WHERE fire_at <= $1
   ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED
), taken AS (
  DELETE FROM sla_timers t USING due
   WHERE t.dossier_id = due.dossier_id AND t.kind = due.kind
  RETURNING t.dossier_id, t.kind, t.occasion, t.due_at, t.fire_at
), first_time AS (
  INSERT INTO sla_fired (dossier_id, kind, occasion, fired_at)
  SELECT dossier_id, kind, occasion, $1 FROM taken
  ON CONFLICT DO NOTHING
  RETURNING dossier_id, kind, occasion
)
SELECT t.kind AS timer_kind, t.due_at AS timer_due_at, t.fire_at AS timer_fire_at, d.*
  FROM taken t
  JOIN first_time USING (dossier_id, kind, occasion)
  JOIN sla_dossiers d ON d.dossier_id = t.dossier_id
 ORDER BY t.fire_at
"""

QUEUE_ALERTS = """
INSERT INTO sla_outbox (topic, key, value, headers)
SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::jsonb[])
"""


def _headers(row: OutboxRow) -> str:
    """Headers as the outbox relay stores them: a JSON list of [name, text value]."""
    return orjson.dumps([[k, v.decode()] for k, v in row.headers]).decode()


class SqlProjectionStore:
    """``ProjectionStore`` on PostgreSQL: two statements per batch, each its own transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.statements = 0  # round trips issued, for the metrics and the benchmark

    async def add_events(self, events: Sequence[DossierEvent]) -> list[DossierEvent]:
        """Insert the new events; return the full history of the batch's dossiers."""
        args = (
            [e.source for e in events],
            [e.event_id for e in events],
            [e.dossier_id for e in events],
            [e.type for e in events],
            [e.time for e in events],
            [orjson.dumps(e.data).decode() for e in events],
            sorted({e.dossier_id for e in events}),
        )
        rows = await self._pool.fetch(ADD_EVENTS, *args)
        self.statements += 1
        return [event_from_row(r) for r in rows]

    async def save(
        self, states: Sequence[DossierState], timers: Sequence[Timer], alerts: Sequence[OutboxRow]
    ) -> None:
        """Upsert dossiers, replace their timers and queue new alerts: one statement."""
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
            [_headers(a) for a in alerts],
        ]
        await self._pool.execute(SAVE, *args)
        self.statements += 1


class SqlTimerStore:
    """``TimerStore`` on PostgreSQL: ``FOR UPDATE SKIP LOCKED`` plus a unique fired log."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fire_due(self, now: dt.datetime, limit: int, encode: Encoder) -> list[FiredTimer]:
        """Take up to ``limit`` due timers, in fire order, and queue their alerts atomically."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(FIRE_DUE, now, limit)
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
                    [_headers(a) for a in encoded],
                )
        return fired

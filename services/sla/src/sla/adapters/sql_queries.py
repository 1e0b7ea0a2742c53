"""The API's reads on PostgreSQL: one dossier, keyset pages of dossiers, KPI counts."""

from __future__ import annotations

import datetime as dt

import asyncpg

from sla.adapters.rows import STATE_FIELDS, state_from_row
from sla.domain.kpis import KpiCounts
from sla.domain.model import DossierState

_OPEN = "finished_at IS NULL AND received_at IS NOT NULL"
_OVERDUE = f"{_OPEN} AND clock_state = 'running' AND due_at < $2"
_TIMELINESS = {
    None: "TRUE",
    "overdue": _OVERDUE,
    "within_time": f"{_OPEN} AND NOT (clock_state = 'running' AND due_at < $2)",
    "early": "finished_timeliness = 'early'",
    "on_time": "finished_timeliness = 'on_time'",
    "late": "finished_timeliness = 'late'",
}
TIMELINESS_VALUES = tuple(k for k in _TIMELINESS if k is not None)
_STATE = ", ".join(STATE_FIELDS)  # not the fold snapshot: the API never reads it
_PAGE = f"""
SELECT {_STATE} FROM sla_dossiers
 WHERE due_at IS NOT NULL AND $2::timestamptz IS NOT NULL
   AND ($1::text IS NULL OR unit_code = $1)
   AND ({{condition}})
   AND ($3::timestamptz IS NULL OR (due_at, dossier_id) > ($3, $4::text))
 ORDER BY due_at, dossier_id LIMIT $5
"""  # noqa: S608 - constant fragments only
# One statement per timeliness filter, built once from constant fragments.
PAGES = {key: _PAGE.format(condition=condition) for key, condition in _TIMELINESS.items()}

# Open and overdue at the period's end, or now if that is earlier (event time, $2 now, $3 end):
# received before it, not finished by it, due before it. A dossier paused now is not counted: its
# open pause began before its due date, so before that moment, when its clock was stopped.
_AT_END = "LEAST($2::timestamptz, $3::timestamptz)"
_OVERDUE_AT_END = (
    f"received_at < {_AT_END} AND (finished_at IS NULL OR finished_at >= {_AT_END})"
    f" AND clock_state <> 'paused' AND due_at < {_AT_END}"
)

KPI_COUNTS = f"""
SELECT unit_code,
  count(*) FILTER (WHERE rec) AS received,
  count(*) FILTER (WHERE rec AND channel = 'online') AS received_online,
  count(*) FILTER (WHERE rec AND fee_required) AS fee_required,
  count(*) FILTER (WHERE rec AND fee_required AND paid_online) AS paid_online,
  count(*) FILTER (WHERE rec AND synced) AS synced,
  count(*) FILTER (WHERE fin) AS finished,
  count(*) FILTER (WHERE fin AND finished_timeliness = 'early') AS early,
  count(*) FILTER (WHERE fin AND finished_timeliness = 'on_time') AS on_time,
  count(*) FILTER (WHERE fin AND finished_timeliness = 'late') AS late,
  count(*) FILTER (WHERE fin AND has_result AND e_result_required) AS e_result_required,
  count(*) FILTER (WHERE fin AND has_result AND e_result_required AND digitized) AS digitized,
  count(*) FILTER (WHERE overdue) AS open_overdue,
  count(*) FILTER (WHERE overdue_at_end) AS overdue_at_period_end
FROM (
  SELECT *, (received_at >= $1 AND received_at < $3) AS rec,
            (finished_at >= $1 AND finished_at < $3) AS fin,
            -- withdrawn, stopped and refused dossiers have no result to digitise
            (end_event IN ('dossier.result_ready', 'dossier.returned')) AS has_result,
            ({_OVERDUE}) AS overdue, ({_OVERDUE_AT_END}) AS overdue_at_end
    FROM sla_dossiers
   WHERE received_at IS NOT NULL AND unit_code IS NOT NULL
     AND ($4::text IS NULL OR unit_code = $4)
     AND ((received_at >= $1 AND received_at < $3) OR (finished_at >= $1 AND finished_at < $3)
          OR ({_OVERDUE}) OR ({_OVERDUE_AT_END}))
) d
GROUP BY unit_code ORDER BY unit_code
"""  # noqa: S608 - constant fragments only, every value is a bind parameter

OPEN_BY_UNIT = f"""
SELECT unit_code, count(*) AS open,
       count(*) FILTER (WHERE clock_state = 'running' AND due_at < $1) AS overdue
  FROM sla_dossiers WHERE {_OPEN} AND unit_code IS NOT NULL GROUP BY unit_code
"""  # noqa: S608 - constant fragments only, every value is a bind parameter


FLAGGED_OPEN = f"""
SELECT flag, count(*) AS n FROM (
  SELECT jsonb_object_keys(flags) AS flag FROM sla_dossiers WHERE {_OPEN}
) f WHERE flag = ANY($1::text[]) GROUP BY flag
"""  # noqa: S608 - constant fragments only


class SqlDossierQueries:
    """``DossierQueries`` on PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, dossier_id: str) -> DossierState | None:
        """One dossier by code."""
        row = await self._pool.fetchrow(
            f"SELECT {_STATE} FROM sla_dossiers WHERE dossier_id = $1",  # noqa: S608
            dossier_id,
        )
        return None if row is None else state_from_row(row)

    async def page(
        self,
        unit_code: str | None,
        timeliness: str | None,
        now: dt.datetime,
        after: tuple[dt.datetime, str] | None,
        limit: int,
    ) -> list[DossierState]:
        """Dossiers with a due date, earliest due (most overdue) first, keyset-paged."""
        due, last = after if after is not None else (None, None)
        rows = await self._pool.fetch(PAGES[timeliness], unit_code, now, due, last, limit)
        return [state_from_row(r) for r in rows]

    async def kpi_counts(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime, unit_code: str | None
    ) -> list[KpiCounts]:
        """Per-unit counts of ``[start, end)``; overdue at ``now`` and at ``min(end, now)``."""
        rows = await self._pool.fetch(KPI_COUNTS, start, now, end, unit_code)
        return [KpiCounts(**dict(r)) for r in rows]

    async def open_by_unit(self, now: dt.datetime) -> dict[str, tuple[int, int]]:
        """Open and overdue dossiers per unit (for the gauges)."""
        rows = await self._pool.fetch(OPEN_BY_UNIT, now)
        return {r["unit_code"]: (r["open"], r["overdue"]) for r in rows}

    async def flagged_open(self, flags: list[str]) -> dict[str, int]:
        """Open dossiers carrying each of ``flags`` (for the gauges)."""
        rows = await self._pool.fetch(FLAGGED_OPEN, flags)
        counts = dict.fromkeys(flags, 0)
        counts.update({r["flag"]: r["n"] for r in rows})
        return counts

"""Conversions between database rows and domain objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from sla.domain.model import DossierEvent, DossierState

STATE_FIELDS: tuple[str, ...] = tuple(DossierState.model_fields)
# Columns of ``sla_dossiers`` beyond the state: the fold snapshot and its last event's key.
FOLD_FIELDS: tuple[str, ...] = ("fold", "last_source", "last_event_id")
SQL_TYPES: dict[str, str] = {
    "fee_required": "boolean",
    "e_result_required": "boolean",
    "paid_online": "boolean",
    "digitized": "boolean",
    "synced": "boolean",
    "paused_seconds": "integer",
    "event_count": "integer",
    "flags": "text",
}
_TIMES = {
    n
    for n, f in DossierState.model_fields.items()
    if n not in SQL_TYPES and "datetime" in str(f.annotation)
}


def sql_type(name: str) -> str:
    """The PostgreSQL array element type of a dossier column, as sent by the projector."""
    if name in _TIMES:
        return "timestamptz"
    return SQL_TYPES.get(name, "text")


def state_columns(states: Sequence[DossierState]) -> list[list[Any]]:
    """Column-wise arrays of the states, in ``STATE_FIELDS`` order (for ``unnest``)."""
    columns: list[list[Any]] = [[] for _ in STATE_FIELDS]
    for state in states:
        for index, name in enumerate(STATE_FIELDS):
            value = getattr(state, name)
            if name == "flags":
                value = orjson.dumps({k: v.isoformat() for k, v in value.items()}).decode()
            columns[index].append(value)
    return columns


def state_from_row(row: Mapping[str, Any]) -> DossierState:
    """A dossier state from a ``sla_dossiers`` row."""
    values = {name: row[name] for name in STATE_FIELDS}
    flags = values["flags"]
    raw = orjson.loads(flags) if isinstance(flags, str | bytes) else flags
    values["flags"] = {k: dt.datetime.fromisoformat(v) for k, v in (raw or {}).items()}
    return DossierState.model_validate(values)


def event_from_row(row: Mapping[str, Any]) -> DossierEvent:
    """A slim event from a ``sla_events`` row."""
    data = row["data"]
    return DossierEvent(
        source=row["source"],
        event_id=row["event_id"],
        dossier_id=row["dossier_id"],
        type=row["type"],
        time=row["time"],
        data=orjson.loads(data) if isinstance(data, str | bytes) else data,
    )

"""Reduce an event's validated `data` to what the clock and the KPIs need: no names, no contacts.

Reads the data model's attributes (no dump to a dict first: this runs once per consumed event).
Times become ISO strings, the form the fold and the event store keep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Slimmer = Callable[[Any], dict[str, Any]]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _received(d: Any) -> dict[str, Any]:
    assignee = d.assignee
    return {
        "unit_code": d.unit_code,
        "receiving_unit_code": d.receiving_unit_code,
        "procedure_code": d.procedure.code,
        "procedure_name": d.procedure.name,
        "time_limit_value": d.time_limit.value,
        "time_limit_unit": d.time_limit.unit,
        "due_at": _iso(d.due_at),
        "channel": d.channel,
        "fee_required": d.fee_required,
        "e_result_required": d.e_result_required,
        "assignee_id": None if assignee is None else assignee.id,
    }


def _keep(*names: str) -> Slimmer:
    """The named attributes that are set, times as ISO strings."""

    def slim(d: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            value = getattr(d, name, None)
            if value is not None:
                out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out

    return slim


def _assigned(d: Any) -> dict[str, Any]:
    return {"assignee_id": d.assignee.id, **_keep("unit_code")(d)}


_SLIMMERS: dict[str, Slimmer] = {
    "dossier.received": _received,
    "dossier.submitted": _keep("procedure_code", "channel"),
    "dossier.assigned": _assigned,
    "dossier.transferred": _keep("to_unit_code"),
    "dossier.paused": _keep("kind"),
    "dossier.rescheduled": _keep("new_due_at"),
    "payment.completed": _keep("method"),
}


def slim_data(event_type: str, data: Any) -> dict[str, Any]:
    """The fields of a validated data model (``TOPIC_DATA_MODELS[event_type]``) the fold reads."""
    slimmer = _SLIMMERS.get(event_type)
    return {} if slimmer is None else slimmer(data)

"""Reduce an event's `data` to what the clock and the KPIs need: no names, no contacts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Data = Mapping[str, Any]


def _received(d: Data) -> dict[str, Any]:
    procedure = d.get("procedure") or {}
    limit = d.get("time_limit") or {}
    assignee = d.get("assignee") or {}
    return {
        "unit_code": d.get("unit_code"),
        "receiving_unit_code": d.get("receiving_unit_code"),
        "procedure_code": procedure.get("code"),
        "procedure_name": procedure.get("name"),
        "time_limit_value": limit.get("value"),
        "time_limit_unit": limit.get("unit"),
        "due_at": d.get("due_at"),
        "channel": d.get("channel"),
        "fee_required": d.get("fee_required", False),
        "e_result_required": d.get("e_result_required", True),
        "assignee_id": assignee.get("id"),
    }


def _keep(*names: str) -> Callable[[Data], dict[str, Any]]:
    return lambda d: {n: d[n] for n in names if d.get(n) is not None}


_SLIMMERS: dict[str, Callable[[Data], dict[str, Any]]] = {
    "dossier.received": _received,
    "dossier.submitted": _keep("procedure_code", "channel"),
    "dossier.assigned": lambda d: {
        "assignee_id": (d.get("assignee") or {}).get("id"),
        **_keep("unit_code")(d),
    },
    "dossier.transferred": _keep("to_unit_code"),
    "dossier.paused": _keep("kind"),
    "dossier.rescheduled": _keep("new_due_at"),
    "payment.completed": _keep("method"),
}


def slim_data(event_type: str, data: Data) -> dict[str, Any]:
    """The fields of ``data`` the fold reads; datetimes must already be ISO strings."""
    slimmer = _SLIMMERS.get(event_type)
    return {} if slimmer is None else slimmer(data)

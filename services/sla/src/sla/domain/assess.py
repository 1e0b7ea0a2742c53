"""Timeliness at an instant: early / on time / late if finished, else within time / overdue."""

from __future__ import annotations

import datetime as dt

from sla.domain.model import DossierState, Timeliness


def timeliness(state: DossierState, now: dt.datetime) -> Timeliness | None:
    """The dossier's timeliness at ``now``; None before reception or without a due date."""
    if state.finished_timeliness is not None:
        return state.finished_timeliness
    if not state.is_open or state.due_at is None:
        return None
    if state.clock_state == "running" and now > state.due_at:
        return "overdue"
    return "within_time"


def breached_at(state: DossierState, now: dt.datetime) -> dt.datetime | None:
    """When the due time was passed (the due instant), if it was: finished late or overdue."""
    if state.due_at is None:
        return None
    if state.finished_at is not None:
        return state.due_at if state.finished_at > state.due_at else None
    return state.due_at if timeliness(state, now) == "overdue" else None

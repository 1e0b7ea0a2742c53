"""What the fold reads (a slim event) and what it produces (a dossier's state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Status = Literal[
    "submitted",
    "received",
    "processing",
    "supplement_requested",
    "paused",
    "result_ready",
    "returned",
    "refused",
    "withdrawn",
    "stopped",
]
ClockState = Literal["running", "paused", "stopped"]
FinishedTimeliness = Literal["early", "on_time", "late"]
Timeliness = Literal["within_time", "overdue", "early", "on_time", "late"]
FlagName = Literal[
    "deadline_mismatch",
    "supplement_requested_twice",
    "rescheduled_twice",
    "beyond_calendar_horizon",
    "due_outside_calendar",
]


EventKey = tuple[dt.datetime, str, str]


@dataclass(frozen=True, slots=True)
class DossierEvent:
    """One consumed event, reduced to what the clock needs (no names, no contacts).

    A plain dataclass, not a pydantic model: one is built per consumed event, from data already
    validated against the contract.
    """

    source: str
    event_id: str
    dossier_id: str
    type: str
    time: dt.datetime
    data: dict[str, Any]
    #: What the translation from the portal's format had to guess (``dvcqgflags``).
    flags: tuple[str, ...] = ()

    @property
    def key(self) -> EventKey:
        """The event-time order of events: time, ties by (source, id)."""
        return (self.time, self.source, self.event_id)


def order_events(events: Iterable[DossierEvent]) -> list[DossierEvent]:
    """Event-time order, ties by (source, id); duplicates by (source, id) dropped."""
    unique = {(e.source, e.event_id): e for e in events}
    return sorted(unique.values(), key=lambda e: (e.time, e.source, e.event_id))


class DossierState(BaseModel):
    """A dossier folded from its events: status, clock, due dates, flags and KPI facts."""

    model_config = ConfigDict(frozen=True)

    dossier_id: str
    status: Status | None = None
    unit_code: str | None = None
    receiving_unit_code: str | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    channel: str | None = None
    assignee_id: str | None = None
    fee_required: bool = False
    e_result_required: bool = True
    received_at: dt.datetime | None = None
    clock_started_at: dt.datetime | None = None
    computed_due_at: dt.datetime | None = None
    source_due_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    promised_due_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    end_event: str | None = None
    clock_state: ClockState = "running"
    paused_seconds: int = 0
    finished_timeliness: FinishedTimeliness | None = None
    flags: dict[str, dt.datetime] = {}
    paid_online: bool = False
    digitized: bool = False
    synced: bool = False
    event_count: int = 0
    last_event_at: dt.datetime | None = None

    @property
    def is_open(self) -> bool:
        """Received and not finished."""
        return self.received_at is not None and self.finished_at is None

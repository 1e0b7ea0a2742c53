"""The ports of the SLA use-cases: stores of the projection, the timers and the queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dunghan_common.clock import Clock

from sla.domain.kpis import KpiCounts
from sla.domain.model import DossierEvent, DossierState
from sla.domain.timers import Timer

__all__ = [
    "Clock",
    "DossierQueries",
    "FiredTimer",
    "OutboxRow",
    "ProjectionStore",
    "TimerStore",
]


@dataclass(frozen=True)
class OutboxRow:
    """An encoded alert with the (dossier, kind, occasion) key that makes it unique."""

    dossier_id: str
    kind: str
    occasion: str
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class FiredTimer:
    """A timer taken off the queue, with the dossier it belongs to."""

    kind: str
    due_at: dt.datetime
    fire_at: dt.datetime
    dossier: DossierState


Encoder = Callable[[FiredTimer], OutboxRow | None]


class ProjectionStore(Protocol):
    """Events and folded dossiers; each method is one atomic database statement."""

    async def add_events(self, events: Sequence[DossierEvent]) -> list[DossierEvent]:
        """Store new events; return the full history of every dossier the batch names."""
        ...

    async def save(
        self, states: Sequence[DossierState], timers: Sequence[Timer], alerts: Sequence[OutboxRow]
    ) -> None:
        """Upsert dossiers, replace their pending timers and queue new alerts, atomically."""
        ...


class TimerStore(Protocol):
    """The due-time queue, safe with several replicas."""

    async def fire_due(self, now: dt.datetime, limit: int, encode: Encoder) -> list[FiredTimer]:
        """Take due timers off the queue and queue their alerts, in one transaction."""
        ...


class DossierQueries(Protocol):
    """Reads of the API."""

    async def get(self, dossier_id: str) -> DossierState | None:
        """One dossier, or None."""
        ...

    async def page(
        self,
        unit_code: str | None,
        timeliness: str | None,
        now: dt.datetime,
        after: tuple[dt.datetime, str] | None,
        limit: int,
    ) -> list[DossierState]:
        """Dossiers with a due date, most overdue first, after a keyset position."""
        ...

    async def kpi_counts(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime, unit_code: str | None
    ) -> list[KpiCounts]:
        """Per-unit counts of a period."""
        ...

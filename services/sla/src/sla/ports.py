"""The ports of the SLA use-cases: stores of the projection, the timers and the queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dunghan_common.clock import Clock

from sla.domain.fold import Folded, Snapshot
from sla.domain.kpis import KpiCounts
from sla.domain.model import DossierEvent, DossierState
from sla.domain.timers import Timer
from sla.domain.verdicts import Announced
from sla.domain.watermark import PartitionLog, PartitionProgress

__all__ = [
    "Clock",
    "DossierQueries",
    "FiredTimer",
    "LogOffsets",
    "OutboxRow",
    "ProjectionStore",
    "Stored",
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


@dataclass(frozen=True)
class Stored:
    """What the projection holds of a batch's dossiers, to continue or redo their folds."""

    # Fold snapshots of dossiers whose new events may be appended (all later, or duplicates).
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    # Every stored event of dossiers that need a full re-fold (a late event, an old snapshot).
    histories: dict[str, list[DossierEvent]] = field(default_factory=dict)
    # The verdict last announced for each dossier that has one.
    verdicts: dict[str, Announced] = field(default_factory=dict)


class ProjectionStore(Protocol):
    """Events and folded dossiers: one read and one atomic write per batch."""

    async def load(self, events: Sequence[DossierEvent]) -> Stored:
        """The snapshots, or for late events the histories, of the batch's dossiers."""
        ...

    async def save(
        self,
        events: Sequence[DossierEvent],
        folds: Sequence[Folded],
        timers: Sequence[Timer],
        alerts: Sequence[OutboxRow],
        progress: Sequence[PartitionProgress] = (),
        verdicts: Mapping[str, Announced] | None = None,
    ) -> None:
        """Store the events, upsert the dossiers with their snapshots and announced verdicts,
        replace their pending timers, queue new alerts and record the partitions' progress: one
        transaction. A writer whose fold is older than the stored one (fewer events: a replica
        that lost its partition) changes neither the dossier, nor its timers, nor its alerts."""
        ...

    async def record_progress(self, progress: Sequence[PartitionProgress]) -> None:
        """Record the partitions' progress of a batch that changed no dossier."""
        ...


class TimerStore(Protocol):
    """The due-time queue, safe with several replicas."""

    async def fire_due(
        self, until: dt.datetime, now: dt.datetime, limit: int, encode: Encoder
    ) -> list[FiredTimer]:
        """Take timers due by ``until`` off the queue and queue their alerts, in one
        transaction; ``now`` is the firing time the fired log keeps."""
        ...

    async def progress(self, topic: str) -> dict[int, PartitionProgress]:
        """The projector's progress per partition of a topic (one row per partition)."""
        ...

    async def reference_now(self) -> dt.datetime:
        """The time by the store's own clock: the reference the wall clock is checked against."""
        ...


class LogOffsets(Protocol):
    """The broker's view of the events topic and of the projector group's commits."""

    async def read(self, topic: str) -> dict[int, PartitionLog] | None:
        """Every partition of the topic, or None when the broker cannot tell now."""
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

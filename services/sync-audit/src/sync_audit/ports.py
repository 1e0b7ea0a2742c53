"""Ports of sync-audit: the repository, the findings outbox, the unit of work, metrics, clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from dunghan_common.clock import Clock

from sync_audit.domain.gap import GapDossier, UnitTally
from sync_audit.domain.model import (
    AttributionHead,
    CurrentAttribution,
    Escalation,
    Observation,
    OutageWindow,
    Revision,
)

__all__ = [
    "AuditMetrics",
    "AuditRepository",
    "AuditUnitOfWork",
    "Clock",
    "FindingsOutbox",
    "IndexMetrics",
    "IndexStore",
    "UnitOfWorkFactory",
]


class AuditRepository(Protocol):
    """Storage of observations, outages, attributions, revisions and escalations."""

    async def add_observations(
        self, observations: Sequence[Observation], recorded_at: datetime
    ) -> list[Observation]:
        """Store new observations stamped ``recorded_at``; return those not stored before."""
        ...

    async def merge_outages(self, windows: Sequence[OutageWindow]) -> list[OutageWindow]:
        """Fold outage starts and ends into stored windows; return the merged windows."""
        ...

    async def dossiers_due_in(self, windows: Sequence[OutageWindow]) -> set[str]:
        """Dossiers whose judged due time falls inside one of the windows."""
        ...

    async def lock_dossiers(self, dossier_ids: Sequence[str]) -> None:
        """Serialise evaluations of the same dossiers until the transaction ends."""
        ...

    async def observations_of(self, dossier_ids: Sequence[str]) -> dict[str, list[Observation]]:
        """Every stored observation of the dossiers."""
        ...

    async def outages_covering(self, instants: Sequence[datetime]) -> list[OutageWindow]:
        """Outage windows that may cover one of the instants."""
        ...

    async def attribution_heads_of(self, dossier_ids: Sequence[str]) -> dict[str, AttributionHead]:
        """Cause, revision and time of the current attributions of the dossiers that have one."""
        ...

    async def escalations_touching(self, dossier_ids: Sequence[str]) -> list[Escalation]:
        """Escalations about any of the dossiers (an outage's lists several)."""
        ...

    async def escalations_by_id(self, escalation_ids: Sequence[str]) -> list[Escalation]:
        """Escalations by id (those that do not exist are left out)."""
        ...

    async def clear_next_checks(self, dossier_ids: Sequence[str]) -> None:
        """No reconciliation tick for these dossiers until their next assessment sets one."""
        ...

    async def portal_checks(
        self, period: str, unit_code: str | None, now: datetime, limit: int, after: str | None
    ) -> list[CurrentAttribution]:
        """Dossiers of a month past their due date whose portal view is unknown."""
        ...

    async def save_attributions(self, rows: Sequence[CurrentAttribution]) -> None:
        """Insert or replace current attributions."""
        ...

    async def add_revisions(self, rows: Sequence[Revision]) -> None:
        """Append revisions (never replaced)."""
        ...

    async def save_escalations(self, rows: Sequence[Escalation]) -> None:
        """Insert or update escalations."""
        ...

    async def due_for_check(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        """Dossiers whose next check time has come, oldest first, with that time."""
        ...

    async def escalation(self, escalation_id: str, for_update: bool = False) -> Escalation | None:
        """One escalation by id."""
        ...

    async def attribution(self, dossier_id: str) -> CurrentAttribution | None:
        """The current attribution of a dossier."""
        ...

    async def revisions(self, dossier_id: str) -> list[Revision]:
        """The revisions of a dossier, oldest first."""
        ...

    async def list_escalations(
        self,
        status: str | None,
        cause: str | None,
        unit_code: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Escalation]:
        """Escalations by opening time, filtered, after a keyset cursor."""
        ...

    async def corrections(self, period: str, unit_code: str | None) -> list[CurrentAttribution]:
        """Current software and sync attributions of a month."""
        ...

    async def open_escalation_counts(self) -> dict[str, int]:
        """Escalations not resolved, by cause."""
        ...


class FindingsOutbox(Protocol):
    """Queues `audit.*` events in the unit of work's transaction."""

    async def add(
        self,
        event_type: str,
        dossier_id: str,
        data: Mapping[str, Any],
        event_id: str,
        time: datetime,
    ) -> None:
        """Queue one event."""
        ...


class AuditUnitOfWork(Protocol):
    """One transaction: the repository and the outbox share it; nothing sticks without commit."""

    @property
    def repo(self) -> AuditRepository:
        """The repository on this transaction."""
        ...

    @property
    def findings(self) -> FindingsOutbox:
        """The outbox on this transaction."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make the work durable."""
        ...


UnitOfWorkFactory = Callable[[], AuditUnitOfWork]


class AuditMetrics(Protocol):
    """What the use-cases report to monitoring."""

    def sync_failed(self, error_code: str) -> None:
        """Count one failed portal sync."""
        ...

    def attributed(self, cause: str) -> None:
        """Count one new attribution revision."""
        ...

    def escalations_open(self, counts: Mapping[str, int]) -> None:
        """Set the open escalations by cause."""
        ...

    def reconciliation_lag(self, seconds: float) -> None:
        """Set how late the last reconciliation round was."""
        ...


class IndexStore(Protocol):
    """The portal's monthly index answers, and the month's receptions counted from attributions."""

    async def save_answer(
        self, period: str, answer: dict[str, Any], source: str, stored_at: datetime
    ) -> None:
        """Store (or replace) a month's answer as it was given."""
        ...

    async def answer(self, period: str) -> dict[str, Any] | None:
        """A month's stored answer, or None."""
        ...

    async def latest_period(self) -> str | None:
        """The latest month with a stored answer."""
        ...

    async def month(
        self, start: datetime, end: datetime, unit_code: str | None
    ) -> tuple[list[UnitTally], list[GapDossier]]:
        """Per unit the receptions of [start, end), and the fault-caused dossiers among them."""
        ...


class IndexMetrics(Protocol):
    """What the index reports to monitoring."""

    def points_at_stake(self, points: Mapping[str, float]) -> None:
        """Set the points at stake per unit code (the latest month with an answer)."""
        ...

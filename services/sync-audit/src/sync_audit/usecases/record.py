"""Record evidence from the topics, and the periodic reconciliation of passed due times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dunghan_common.events.window import in_window

from sync_audit.domain.model import Observation, OutageWindow
from sync_audit.domain.views import DueCalculator
from sync_audit.ports import AuditMetrics, AuditUnitOfWork, Clock, UnitOfWorkFactory
from sync_audit.usecases.evaluate import Outcome, evaluate


class RecordEvidence:
    """Store a batch of observations and outage events, then re-attribute what they touch."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        compute_due: DueCalculator,
        metrics: AuditMetrics,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._compute_due = compute_due
        self._metrics = metrics

    async def __call__(
        self, observations: Sequence[Observation], outages: Sequence[OutageWindow]
    ) -> Outcome:
        """Apply one consumed batch in one transaction; duplicates change nothing.

        An event dated outside the accepted window (before 2018 or over a day ahead: older data
        or a replay ingest would now refuse) is applied as nothing, as sla does.
        """
        now = self._clock.now()
        observations = [o for o in observations if in_window(o.time, now)]
        outages = [w for w in outages if all(in_window(t, now) for t in _times(w))]
        async with self._uow() as uow:
            new = await uow.repo.add_observations(observations, now)
            touched = {o.dossier_id for o in new}
            if outages:
                merged = await uow.repo.merge_outages(outages)
                touched |= await uow.repo.dossiers_due_in(merged)
            outcome = await evaluate(uow, sorted(touched), now, self._compute_due)
            await uow.commit()
        for o in new:
            if o.type == "portal.sync_failed":
                self._metrics.sync_failed(str(o.data.get("error_code", "other")))
        await report(self._metrics, outcome, self._uow)
        return outcome


def _times(window: OutageWindow) -> list[datetime]:
    return [t for t in (window.started_at, window.ended_at) if t is not None]


class Reconcile:
    """Re-attribute dossiers whose due time passed with no new event (the reconciliation tick)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        compute_due: DueCalculator,
        metrics: AuditMetrics,
        batch: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._compute_due = compute_due
        self._metrics = metrics
        self._batch = batch

    async def __call__(self) -> int:
        """One round: at most ``batch`` dossiers; return how many were re-attributed."""
        now = self._clock.now()
        async with self._uow() as uow:
            due = await uow.repo.due_for_check(now, self._batch)
            ids = [d for d, _ in due]
            outcome = await evaluate(uow, ids, now, self._compute_due)
            await uow.commit()
        lag = (now - min(at for _, at in due)).total_seconds() if due else 0.0
        self._metrics.reconciliation_lag(max(lag, 0.0))
        await report(self._metrics, outcome, self._uow, always=True)
        return len(due)


async def report(
    metrics: AuditMetrics, outcome: Outcome, uow: UnitOfWorkFactory, always: bool = False
) -> None:
    """Count new revisions; refresh the open-escalation gauge when escalations moved."""
    for cause in outcome.revised_causes:
        metrics.attributed(cause)
    if outcome.escalations_changed or always:
        await refresh_open_gauge(metrics, uow)


async def refresh_open_gauge(metrics: AuditMetrics, factory: UnitOfWorkFactory) -> None:
    """Set the open-escalation gauge from the database (exact across replicas)."""
    uow: AuditUnitOfWork
    async with factory() as uow:
        metrics.escalations_open(await uow.repo.open_escalation_counts())

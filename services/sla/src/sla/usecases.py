"""The SLA use-cases: project a batch of events, fire due timers, answer queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dunghan_common.events import encode_event

from sla.domain.alerts import Alert, projection_alerts, timer_alert
from sla.domain.calendar import WorkingCalendar
from sla.domain.fold import fold
from sla.domain.kpis import Targets, kpi_row, province
from sla.domain.model import DossierEvent, DossierState
from sla.domain.rules import RuleBook
from sla.domain.timers import Timer, plan_timers
from sla.ports import Clock, DossierQueries, FiredTimer, OutboxRow, ProjectionStore, TimerStore


@dataclass(frozen=True)
class AlertEncoder:
    """Encodes alerts as CloudEvents for the `sla-alerts` topic (through the outbox)."""

    topic: str
    source: str

    def encode(self, alert: Alert) -> OutboxRow:
        """The outbox row of an alert; its event id is deterministic."""
        message = encode_event(
            alert.type,
            alert.dossier_id,
            alert.data,
            event_id=alert.event_id,
            source=self.source,
            time=alert.time,
        )
        return OutboxRow(
            dossier_id=alert.dossier_id,
            kind=alert.kind,
            occasion=alert.occasion,
            topic=self.topic,
            key=message.key,
            value=message.value,
            headers=message.headers,
        )


@dataclass
class ProjectBatch:
    """Fold a consumed batch into the dossiers it touches: two statements, each atomic.

    The events are stored first; the dossiers of every event in the batch (new or redelivered)
    are then re-folded from their full history, so a crash between the two statements is
    repaired by the redelivery that follows, and a late event re-derives the due date.
    """

    store: ProjectionStore
    rules: RuleBook
    calendar: WorkingCalendar
    encoder: AlertEncoder

    async def execute(self, events: Sequence[DossierEvent]) -> list[DossierState]:
        """Project the batch; return the new states of the touched dossiers."""
        if not events:
            return []
        history = await self.store.add_events(events)
        by_dossier: dict[str, list[DossierEvent]] = defaultdict(list)
        for event in history:
            by_dossier[event.dossier_id].append(event)
        states = [fold(d, evs, self.rules, self.calendar) for d, evs in by_dossier.items()]
        timers: list[Timer] = []
        alerts: dict[tuple[str, str, str], OutboxRow] = {}
        for state in states:
            timers.extend(plan_timers(state, self.rules, self.calendar))
            for alert in projection_alerts(state):
                alerts[(alert.dossier_id, alert.kind, alert.occasion)] = self.encoder.encode(alert)
        await self.store.save(states, timers, list(alerts.values()))
        return states


@dataclass
class FireDueTimers:
    """One tick: take up to ``limit`` due timers, emit their alerts through the outbox."""

    store: TimerStore
    clock: Clock
    encoder: AlertEncoder
    limit: int = 1000

    async def execute(self) -> list[FiredTimer]:
        """Fire what is due now; replicas skip each other's locked timers."""
        return await self.store.fire_due(self.clock.now(), self.limit, self._encode)

    def _encode(self, fired: FiredTimer) -> OutboxRow | None:
        alert = timer_alert(fired.dossier, fired.kind, fired.due_at, fired.fire_at)
        return None if alert is None else self.encoder.encode(alert)


@dataclass
class MonthlyKpis:
    """KPIs of a month per unit and for the province, against that year's targets."""

    queries: DossierQueries
    clock: Clock
    targets: Mapping[int, Targets]
    tz: dt.tzinfo

    async def execute(self, year: int, month: int, unit_code: str | None) -> dict[str, object]:
        """The contract's KPI body for ``year-month`` (local time)."""
        start = dt.datetime(year, month, 1, tzinfo=self.tz)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=self.tz)
        counts = await self.queries.kpi_counts(start, end, self.clock.now(), unit_code)
        target = self.targets.get(year)
        total = kpi_row(province(counts), target).model_dump(exclude={"unit_code"})
        units = [kpi_row(c, target).model_dump() for c in counts]
        return {"period": f"{year:04d}-{month:02d}", "province": total, "units": units}

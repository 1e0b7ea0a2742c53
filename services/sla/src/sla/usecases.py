"""The SLA use-cases: project a batch of events, fire due timers, answer queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dunghan_common.events import encode_event
from dunghan_common.events.window import DEFAULT_FUTURE_MARGIN, in_window

from sla.domain.alerts import Alert, projection_alerts, timer_alert
from sla.domain.calendar import WorkingCalendar
from sla.domain.fold import Folded, fold_from, snapshot_last
from sla.domain.kpis import Targets, kpi_row, province, targets_for
from sla.domain.model import DossierEvent, DossierState, order_events
from sla.domain.rules import RuleBook
from sla.domain.timers import Timer, plan_timers, timer_time
from sla.domain.verdicts import Announced, announce
from sla.domain.watermark import PartitionProgress, event_time_watermark, fire_cutoff
from sla.ports import (
    Clock,
    DossierQueries,
    FiredTimer,
    LogOffsets,
    OutboxRow,
    ProjectionStore,
    Stored,
    TimerStore,
)


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
    """Fold a consumed batch into the dossiers it touches: one read, one atomic write.

    A dossier whose new events all come after its stored snapshot continues its fold from the
    snapshot (the append fast path); one with a late event is folded again from its whole
    history, so a late `supplement_received` re-derives the due date. Events already folded (a
    redelivered batch) change nothing. Each new state is compared with the verdict last
    announced for the dossier: an end of processing and a changed verdict are announced once.
    An event dated outside the accepted window (before 2018, or ahead of the clock by more than
    ``future_margin``: older data or a replay that ingest would now refuse) is applied as
    nothing: it neither ends a dossier nor moves the watermark.
    """

    store: ProjectionStore
    rules: RuleBook
    calendar: WorkingCalendar
    encoder: AlertEncoder
    clock: Clock
    future_margin: dt.timedelta = DEFAULT_FUTURE_MARGIN
    #: No timer of a dossier fires within this of its latest change (`plan_timers`).
    quiet: dt.timedelta = dt.timedelta(0)
    outside_window: int = 0  # events applied as nothing, for the metrics

    async def execute(
        self, events: Sequence[DossierEvent], progress: Sequence[PartitionProgress] = ()
    ) -> list[DossierState]:
        """Project the batch and record how far it went in each partition; return the new
        states of the dossiers it changed."""
        now = self.clock.now()
        kept_events = [e for e in events if in_window(e.time, now, self.future_margin)]
        self.outside_window += len(events) - len(kept_events)
        if not kept_events:
            if progress:
                await self.store.record_progress(progress)
            return []
        stored = await self.store.load(kept_events)
        quiet_until = now + self.quiet if self.quiet else None
        by_dossier: dict[str, list[DossierEvent]] = defaultdict(list)
        for event in kept_events:
            by_dossier[event.dossier_id].append(event)
        folds: list[Folded] = []
        kept: list[DossierEvent] = []
        verdicts: dict[str, Announced] = {}
        timers: list[Timer] = []
        alerts: dict[tuple[str, str, str], OutboxRow] = {}
        for dossier_id, new in by_dossier.items():
            folded, fresh = self._fold(dossier_id, new, stored, now)
            if folded is None:
                continue
            folds.append(folded)
            kept.extend(fresh)
            state = folded.state
            timers.extend(plan_timers(state, self.rules, self.calendar, quiet_until))
            said = announce(
                stored.verdicts.get(dossier_id), state, now, [e.type for e in order_events(fresh)]
            )
            if said.verdict is not None:
                verdicts[dossier_id] = said.verdict
            for alert in [*projection_alerts(state), *said.alerts]:
                alerts[(alert.dossier_id, alert.kind, alert.occasion)] = self.encoder.encode(alert)
        if not folds:
            if progress:
                await self.store.record_progress(progress)
            return []
        await self.store.save(kept, folds, timers, list(alerts.values()), progress, verdicts)
        return [f.state for f in folds]

    def _fold(
        self, dossier_id: str, new: list[DossierEvent], stored: Stored, now: dt.datetime
    ) -> tuple[Folded | None, list[DossierEvent]]:
        """The dossier's new fold and the events to store; None if nothing is new."""
        history = stored.histories.get(dossier_id)
        if history is not None:
            known = {(e.source, e.event_id) for e in history}
            fresh = [e for e in order_events(new) if (e.source, e.event_id) not in known]
            if not fresh:
                return None, []  # a redelivery: every event is folded already
            window = [e for e in history if in_window(e.time, now, self.future_margin)]
            everything = [*window, *fresh]
            return fold_from(None, dossier_id, everything, self.rules, self.calendar), fresh
        snapshot = stored.snapshots.get(dossier_id)
        if snapshot is None:
            fresh = order_events(new)  # without the batch's own duplicates
            return fold_from(None, dossier_id, fresh, self.rules, self.calendar), fresh
        last = snapshot_last(snapshot)
        # Not after the snapshot's last event, yet not sent as history: already folded.
        later = order_events(e for e in new if last is None or e.key > last)
        if not later:
            return None, []
        return fold_from(snapshot, dossier_id, later, self.rules, self.calendar), later


@dataclass
class FireDueTimers:
    """One tick: take up to ``limit`` timers due by the event-time watermark, emit their alerts
    through the outbox.

    A timer fires only when its ``fire_at`` is at or before the watermark less ``margin``: the
    projection has then applied every event of the topic that could still cancel or move it.
    The watermark is read again on every tick except right after a full batch, where the next
    batch follows at once with the same (still valid, only more cautious) cutoff. A wall clock
    ahead of the store's clock by more than ``skew_tolerance`` fires nothing (a forward jump
    would otherwise fire every breach inside it): the tick waits, and the skew is measured.
    """

    store: TimerStore
    clock: Clock
    encoder: AlertEncoder
    offsets: LogOffsets
    topic: str
    margin: dt.timedelta = dt.timedelta(seconds=2)
    limit: int = 1000
    skew_tolerance: dt.timedelta = dt.timedelta(seconds=5)
    #: To state an apology window's own time when its timer fired later (a quiet period).
    rules: RuleBook | None = None
    calendar: WorkingCalendar | None = None
    watermark: dt.datetime | None = None  # the last one read, for the metrics
    skew: dt.timedelta = dt.timedelta(0)  # the wall clock less the store's, for the metrics
    _cutoff: dt.datetime | None = None
    _draining: bool = False

    async def execute(self) -> list[FiredTimer]:
        """Fire what the watermark allows; replicas skip each other's locked timers."""
        if not self._draining:
            self._cutoff = await self.read_cutoff()
        if self._cutoff is None:
            self._draining = False
            return []
        now = self.clock.now()
        fired = await self.store.fire_due(self._cutoff, now, self.limit, self._encode)
        self._draining = len(fired) >= self.limit
        return fired

    async def read_cutoff(self) -> dt.datetime | None:
        """The latest fire time allowed now: O(partitions) reads, never a scan of timers."""
        now = self.clock.now()  # before the broker's ends: they must not predate the check
        reference = await self.store.reference_now()
        self.skew = now - reference
        if self.skew > self.skew_tolerance:
            return None  # the wall clock jumped ahead: fire nothing until they agree
        logs = await self.offsets.read(self.topic)
        progress = await self.store.progress(self.topic)
        self.watermark = event_time_watermark(now, logs, progress)
        return fire_cutoff(now, self.watermark, self.margin)

    def _encode(self, fired: FiredTimer) -> OutboxRow | None:
        at = fired.fire_at  # the timer's own time, unless a quiet period held it back
        if self.rules is not None and self.calendar is not None:
            own = timer_time(fired.dossier, fired.kind, self.rules, self.calendar)
            at = min(at, own) if own is not None else at
        alert = timer_alert(fired.dossier, fired.kind, fired.due_at, at)
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
        target, carried = targets_for(self.targets, year)
        total = kpi_row(province(counts), target).model_dump(exclude={"unit_code"})
        units = [kpi_row(c, target).model_dump() for c in counts]
        held_to = None if target is None else {"year": target.year, "carried_over": carried}
        return {
            "period": f"{year:04d}-{month:02d}",
            "province": total,
            "units": units,
            "targets": held_to,
        }

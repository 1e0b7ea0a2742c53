"""The composition root: everything the roles run is built here, from settings."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.clock import Clock, SystemClock
from dunghan_common.db import OutboxRelay, create_engine, ping
from dunghan_common.events.dvcqgflags import DVCQG_FLAGS
from dunghan_common.health import Conditions
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import BatchHandler, ConsumerMetrics
from dunghan_common.loops import Round, run_forever
from dunghan_common.metrics import UnitLabels, new_registry
from dunghan_common.settings import refuse_placeholders, with_batch_window
from dunghan_common.units import UnitDirectorySettings, UnitDirectorySource
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from sla.adapters import tables
from sla.adapters.config_files import load_rules, load_targets
from sla.adapters.http import ApiDeps, build_router
from sla.adapters.kafka import batch_handler
from sla.adapters.kafka_offsets import KafkaLogOffsets
from sla.adapters.kpi_gauges import KpiGauges
from sla.adapters.metrics import SlaMetrics
from sla.adapters.report_http import ReportDeps, build_report_router
from sla.adapters.sql_projection import SqlProjectionStore
from sla.adapters.sql_queries import SqlDossierQueries
from sla.adapters.sql_timers import SqlTimerStore
from sla.domain.kpis import targets_for
from sla.domain.model import DossierEvent, DossierState
from sla.domain.watermark import PartitionProgress
from sla.ports import FiredTimer
from sla.settings import SlaSettings
from sla.usecases import AlertEncoder, FireDueTimers, MonthlyKpis, ProjectBatch

log = logging.getLogger(__name__)
#: The calendar flags (alerted on) and the portal format's guesses, counted by a gauge.
CALENDAR_FLAGS = ("due_outside_calendar", "beyond_calendar_horizon")
COUNTED_FLAGS = (*CALENDAR_FLAGS, *sorted(DVCQG_FLAGS))


def asyncpg_dsn(url: str) -> str:
    """The libpq DSN of a SQLAlchemy asyncpg URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class Sla:
    """The wired service: stores, use-cases and clients, started and stopped together."""

    settings: SlaSettings
    clock: Clock = field(default_factory=SystemClock)
    registry: CollectorRegistry = field(init=False)
    metrics: SlaMetrics = field(init=False)
    calendar: BusinessCalendar = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        refuse_placeholders(s.env, [t.token_hash for t in s.auth.tokens], "DUNGHAN_AUTH_TOKENS")
        self.registry = new_registry(s.service_name)
        self.metrics = SlaMetrics(self.registry)
        # Unit codes come from event data: metrics label only the known units (the rest `other`).
        units = UnitDirectorySource.from_settings(UnitDirectorySettings())
        # Labels follow the unit directory as it is reloaded; any other code counts as `other`.
        self.unit_labels = UnitLabels(lambda code: code in units.current())
        self.kpi_gauges = KpiGauges(self.registry, self.unit_labels)
        self.calendar = load_calendar(s.sla.calendar_dir)
        self.rules = load_rules(s.sla.rules_dir)
        self.targets = load_targets(s.sla.targets_dir)
        self.encoder = AlertEncoder(topic=s.sla.alerts_topic, source=s.sla.alert_source)
        self.pool: asyncpg.Pool | None = None
        self.engine: AsyncEngine | None = None
        self.publisher: KafkaPublisher | None = None
        self.log_offsets: KafkaLogOffsets | None = None
        #: What stalls this process's work (an outage, a refusing dead-letter topic): /readyz.
        self.conditions = Conditions()

    async def start(self) -> None:
        """Open the database pool, the engine (for the relay), the publisher and the offsets
        reader of the watermark."""
        s = self.settings
        self.pool = await asyncpg.create_pool(
            asyncpg_dsn(s.db.url), min_size=s.sla.pool_min, max_size=s.sla.pool_max
        )
        self.engine = create_engine(s.db)
        self.publisher = KafkaPublisher(s.kafka, client_id=f"{s.kafka.client_id}-sla")
        await self.publisher.start()
        self.log_offsets = KafkaLogOffsets(s.kafka, s.sla.consumer_group)
        await self.log_offsets.start()

    async def stop(self) -> None:
        """Close what ``start`` opened."""
        if self.log_offsets is not None:
            await self.log_offsets.stop()
        if self.publisher is not None:
            await self.publisher.stop()
        if self.engine is not None:
            await self.engine.dispose()
        if self.pool is not None:
            await self.pool.close()

    def _pool(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("Sla.start() first")
        return self.pool

    def _clients(self) -> tuple[AsyncEngine, KafkaPublisher]:
        if self.engine is None or self.publisher is None:
            raise RuntimeError("Sla.start() first")
        return self.engine, self.publisher

    def projector(self) -> ProjectBatch:
        """The batch projection use-case."""
        store = SqlProjectionStore(self._pool())
        margin = dt.timedelta(seconds=self.settings.sla.future_margin_s)
        quiet = dt.timedelta(seconds=self.settings.sla.quiet_s)
        return ProjectBatch(
            store, self.rules, self.calendar, self.encoder, self.clock, margin, quiet
        )

    def ticker(self) -> FireDueTimers:
        """The timer use-case."""
        if self.log_offsets is None:
            raise RuntimeError("Sla.start() first")
        s = self.settings.sla
        return FireDueTimers(
            SqlTimerStore(self._pool()),
            self.clock,
            self.encoder,
            self.log_offsets,
            s.events_topic,
            margin=dt.timedelta(seconds=s.watermark_margin_s),
            limit=s.tick_batch,
            skew_tolerance=dt.timedelta(seconds=s.clock_skew_tolerance_s),
            rules=self.rules,
            calendar=self.calendar,
        )

    def queries(self) -> SqlDossierQueries:
        """The API's reads."""
        return SqlDossierQueries(self._pool())

    def handler(self, project: ProjectBatch) -> BatchHandler:
        """The batch handler of `dossier-events` (the consumer's, and the dead letters' replay)."""
        return batch_handler(
            lambda events, progress: self.project_and_measure(project, events, progress),
            self.clock,
            project.future_margin,
        )

    def consumer(self, project: ProjectBatch) -> BatchConsumer:
        """The `dossier-events` consumer feeding the projector."""
        s = self.settings
        _, publisher = self._clients()
        metrics = ConsumerMetrics(self.registry)
        kafka = with_batch_window(s.kafka, s.sla.batch_window_ms)
        return BatchConsumer(
            kafka,
            [s.sla.events_topic],
            s.sla.consumer_group,
            self.handler(project),
            publisher,
            metrics,
            conditions=self.conditions,
        )

    async def project_and_measure(
        self,
        project: ProjectBatch,
        events: Sequence[DossierEvent],
        progress: Sequence[PartitionProgress] = (),
    ) -> list[DossierState]:
        """Project a batch and record the projection metrics."""
        store = project.store
        before = getattr(store, "statements", 0)
        outside = project.outside_window
        states = await project.execute(events, progress)
        self.metrics.round_trips.inc(getattr(store, "statements", 0) - before)
        self.metrics.outside_window.inc(project.outside_window - outside)
        self.metrics.projected.inc(len(events))
        if events:
            newest = max(e.time for e in events)
            self.metrics.projection_lag.set((self.clock.now() - newest).total_seconds())
        return states

    def relay(self) -> OutboxRelay:
        """The outbox relay to `sla-alerts`."""
        engine, publisher = self._clients()
        return OutboxRelay(
            engine, tables.outbox, publisher, self.registry, self.settings.sla.relay_lock_id
        )

    def app(self) -> FastAPI:
        """The HTTP application."""
        engine, publisher = self._clients()
        app = create_app(
            "Đúng Hạn SLA",
            self.registry,
            readiness=[
                ("database", lambda: ping(engine)),
                ("kafka", publisher.ping),
                ("work", self.conditions.check),
            ],
            description="Every dossier's clock, breaches and monthly KPIs.",
            metrics=self.settings.metrics,
        )
        kpis = MonthlyKpis(self.queries(), self.clock, self.targets, self.calendar.tz)
        deps = ApiDeps(self.queries(), kpis, self.clock, self.settings.auth)
        app.include_router(build_router(deps))
        app.include_router(build_report_router(self._report_deps(kpis)))
        return app

    def _report_deps(self, kpis: MonthlyKpis) -> ReportDeps:
        auth, audit = self.settings.auth, self.settings.sla.audit_url
        return ReportDeps(kpis, self.targets, self.clock, auth, audit)

    async def tick_forever(self) -> None:
        """Fire due timers every tick; a full batch is followed at once by the next."""
        ticker = self.ticker()

        async def round_() -> bool:
            fired = await ticker.execute()
            self._measure_tick(ticker, fired)
            return len(fired) >= ticker.limit

        await self._forever("tick", round_, self.settings.sla.tick_interval_s)

    def _measure_tick(self, ticker: FireDueTimers, fired: Sequence[FiredTimer]) -> None:
        now = self.clock.now()
        self.metrics.clock_skew.set(ticker.skew.total_seconds())
        if ticker.watermark is not None:
            lag = (now - ticker.watermark).total_seconds()
            self.metrics.watermark_lag.set(max(0.0, lag))
        for timer in fired:
            self.metrics.timer_lag.observe(max(0.0, (now - timer.fire_at).total_seconds()))
            if timer.kind == "breach":
                unit = self.unit_labels(timer.dossier.unit_code)
                self.metrics.breaches.labels(unit_code=unit).inc()

    async def gauges_forever(self) -> None:
        """Refresh the open/overdue gauges and the calendar horizon periodically."""
        queries = self.queries()
        seen: set[str] = set()

        async def round_() -> bool:
            now = self.clock.now()
            counts = self.unit_labels.totals(await queries.open_by_unit(now))
            for unit in seen - counts.keys():  # a unit with nothing open reads 0
                counts[unit] = (0, 0)
            for unit, (open_, overdue) in counts.items():
                self.metrics.open.labels(unit_code=unit).set(open_)
                self.metrics.overdue.labels(unit_code=unit).set(overdue)
            seen.update(counts.keys())
            today = now.astimezone(self.calendar.tz).date()
            self.metrics.horizon.set(self.calendar.horizon_days(today) * 86_400)
            kpis = MonthlyKpis(queries, self.clock, self.targets, self.calendar.tz)
            body = await kpis.execute(today.year, today.month, None)
            targets, carried = targets_for(self.targets, today.year)
            self.kpi_gauges.publish(body, targets)
            self.metrics.targets_carried_over.set(1 if carried else 0)
            flagged = await queries.flagged_open(list(COUNTED_FLAGS))
            for flag, count in flagged.items():
                self.metrics.flagged.labels(flag=flag).set(count)
            return False

        await self._forever("gauges", round_, self.settings.sla.gauge_refresh_s)

    async def relay_forever(self) -> None:
        """Relay the outbox to `sla-alerts`."""
        await self.relay().run(self.conditions)

    async def _forever(self, name: str, round_: Round, interval_s: float) -> None:
        await run_forever(
            name, round_, interval_s, registry=self.registry, conditions=self.conditions
        )

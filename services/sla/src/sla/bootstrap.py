"""The composition root: everything the roles run is built here, from settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.clock import Clock, SystemClock
from dunghan_common.db import OutboxRelay, create_engine, ping
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics
from dunghan_common.metrics import UnitLabels, new_registry
from dunghan_common.settings import refuse_placeholders, with_batch_window
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from sla.adapters import tables
from sla.adapters.config_files import load_rules, load_targets, load_unit_codes
from sla.adapters.http import ApiDeps, build_router
from sla.adapters.kafka import batch_handler
from sla.adapters.kafka_offsets import KafkaLogOffsets
from sla.adapters.kpi_gauges import KpiGauges
from sla.adapters.metrics import SlaMetrics
from sla.adapters.sql_projection import SqlProjectionStore
from sla.adapters.sql_queries import SqlDossierQueries
from sla.adapters.sql_timers import SqlTimerStore
from sla.domain.model import DossierEvent, DossierState
from sla.domain.watermark import PartitionProgress
from sla.settings import SlaSettings
from sla.usecases import AlertEncoder, FireDueTimers, MonthlyKpis, ProjectBatch

log = logging.getLogger(__name__)


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
        self.unit_labels = UnitLabels(load_unit_codes(s.sla.units_file))
        self.kpi_gauges = KpiGauges(self.registry, self.unit_labels)
        self.calendar = load_calendar(s.sla.calendar_dir)
        self.rules = load_rules(s.sla.rules_dir)
        self.targets = load_targets(s.sla.targets_dir)
        self.encoder = AlertEncoder(topic=s.sla.alerts_topic, source=s.sla.alert_source)
        self.pool: asyncpg.Pool | None = None
        self.engine: AsyncEngine | None = None
        self.publisher: KafkaPublisher | None = None
        self.log_offsets: KafkaLogOffsets | None = None

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
        return ProjectBatch(store, self.rules, self.calendar, self.encoder)

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
        )

    def queries(self) -> SqlDossierQueries:
        """The API's reads."""
        return SqlDossierQueries(self._pool())

    def consumer(self, project: ProjectBatch) -> BatchConsumer:
        """The `dossier-events` consumer feeding the projector."""
        s = self.settings
        _, publisher = self._clients()
        handle = batch_handler(
            lambda events, progress: self.project_and_measure(project, events, progress)
        )
        metrics = ConsumerMetrics(self.registry)
        kafka = with_batch_window(s.kafka, s.sla.batch_window_ms)
        return BatchConsumer(
            kafka, [s.sla.events_topic], s.sla.consumer_group, handle, publisher, metrics
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
        states = await project.execute(events, progress)
        self.metrics.round_trips.inc(getattr(store, "statements", 0) - before)
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
            readiness=[("database", lambda: ping(engine)), ("kafka", publisher.ping)],
            description="Every dossier's clock, breaches and monthly KPIs.",
            metrics=self.settings.metrics,
        )
        kpis = MonthlyKpis(self.queries(), self.clock, self.targets, self.calendar.tz)
        deps = ApiDeps(self.queries(), kpis, self.clock, self.settings.auth)
        app.include_router(build_router(deps))
        return app

    async def tick_forever(self) -> None:
        """Fire due timers every tick; a full batch is followed at once by the next."""
        ticker = self.ticker()
        while True:
            try:
                fired = await ticker.execute()
            except (OSError, asyncpg.PostgresError):
                log.warning("tick failed, retrying", exc_info=True)
                fired = []
            now = self.clock.now()
            if ticker.watermark is not None:
                lag = (now - ticker.watermark).total_seconds()
                self.metrics.watermark_lag.set(max(0.0, lag))
            for timer in fired:
                self.metrics.timer_lag.observe(max(0.0, (now - timer.fire_at).total_seconds()))
                if timer.kind == "breach":
                    unit = self.unit_labels(timer.dossier.unit_code)
                    self.metrics.breaches.labels(unit_code=unit).inc()
            if len(fired) < ticker.limit:
                await asyncio.sleep(self.settings.sla.tick_interval_s)

    async def gauges_forever(self) -> None:
        """Refresh the open/overdue gauges and the calendar horizon periodically."""
        queries = self.queries()
        seen: set[str] = set()
        while True:
            try:
                now = self.clock.now()
                counts = self.unit_labels.totals(await queries.open_by_unit(now))
                for unit in seen - counts.keys():  # a unit with nothing open reads 0
                    counts[unit] = (0, 0)
                for unit, (open_, overdue) in counts.items():
                    self.metrics.open.labels(unit_code=unit).set(open_)
                    self.metrics.overdue.labels(unit_code=unit).set(overdue)
                seen |= counts.keys()
                today = now.astimezone(self.calendar.tz).date()
                self.metrics.horizon.set(self.calendar.horizon_days(today) * 86_400)
                kpis = MonthlyKpis(queries, self.clock, self.targets, self.calendar.tz)
                body = await kpis.execute(today.year, today.month, None)
                self.kpi_gauges.publish(body, self.targets.get(today.year))
            except (OSError, asyncpg.PostgresError):
                log.warning("gauge refresh failed", exc_info=True)
            await asyncio.sleep(self.settings.sla.gauge_refresh_s)

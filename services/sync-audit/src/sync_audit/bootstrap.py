"""The composition root: builds every part of sync-audit from its settings, nothing at import."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.clock import Clock, SystemClock
from dunghan_common.db import OutboxRelay, create_engine, ping
from dunghan_common.health import Conditions
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics
from dunghan_common.loops import run_forever
from dunghan_common.metrics import new_registry
from dunghan_common.settings import with_batch_window
from dunghan_common.units import UnitDirectorySettings, UnitDirectorySource
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from sync_audit.adapters.http import build_router
from sync_audit.adapters.index_http import add_index_routes
from sync_audit.adapters.index_sql import SqlIndexStore
from sync_audit.adapters.kafka import AuditHandler
from sync_audit.adapters.metrics import PrometheusAuditMetrics
from sync_audit.adapters.sql import SqlAuditUnitOfWork
from sync_audit.adapters.tables import outbox
from sync_audit.settings import SyncAuditSettings
from sync_audit.usecases.escalations import ChangeEscalation
from sync_audit.usecases.index import PortalIndex
from sync_audit.usecases.queries import AuditQueries
from sync_audit.usecases.record import Reconcile, RecordEvidence

log = logging.getLogger(__name__)


def due_calculator(
    calendar: BusinessCalendar, received_at: datetime, value: int, unit: str
) -> datetime:
    """A due date from the reception time and the time limit, when the receipt gives none."""
    start = calendar.clock_start(received_at)
    return calendar.due_at(start, value, unit)  # type: ignore[arg-type]


@dataclass
class Container:
    """Everything one process holds, built once."""

    settings: SyncAuditSettings
    engine: AsyncEngine
    registry: CollectorRegistry
    publisher: KafkaPublisher
    record: RecordEvidence
    reconcile: Reconcile
    queries: AuditQueries
    commands: ChangeEscalation
    metrics: PrometheusAuditMetrics
    index: PortalIndex
    clock: Clock
    #: What stalls this process's work (an outage, a refusing dead-letter topic): /readyz.
    conditions: Conditions


def build(settings: SyncAuditSettings, clock: Clock | None = None) -> Container:
    """Wire the service: engine, publisher, use-cases, metrics."""
    clock = clock or SystemClock()
    engine = create_engine(settings.db)
    registry = new_registry(settings.service_name)
    metrics = PrometheusAuditMetrics(
        registry, settings.audit.max_error_codes, settings.audit.index_alert_points
    )
    units = UnitDirectorySource.from_settings(UnitDirectorySettings())
    calendar = load_calendar(settings.audit.calendar_dir)
    compute_due = partial(due_calculator, calendar)
    a = settings.audit

    def uow() -> SqlAuditUnitOfWork:
        return SqlAuditUnitOfWork(engine, a.findings_topic, a.event_source)

    return Container(
        settings=settings,
        engine=engine,
        registry=registry,
        publisher=KafkaPublisher(settings.kafka, client_id=f"{settings.service_name}-publisher"),
        record=RecordEvidence(uow, clock, compute_due, metrics),
        reconcile=Reconcile(uow, clock, compute_due, metrics, a.reconcile_batch),
        queries=AuditQueries(uow, clock),
        commands=ChangeEscalation(uow, clock, metrics),
        metrics=metrics,
        index=PortalIndex(SqlIndexStore(engine), units, clock, metrics),
        clock=clock,
        conditions=Conditions(),
    )


def build_app(c: Container) -> FastAPI:
    """The HTTP application with its readiness checks."""
    app = create_app(
        "Đúng Hạn sync-audit",
        c.registry,
        readiness=[
            ("database", partial(ping, c.engine)),
            ("kafka", c.publisher.ping),
            ("work", c.conditions.check),
        ],
        description="Breach attribution, DOST escalations and the VPCP correction list.",
        metrics=c.settings.metrics,
    )
    router = build_router(c.settings.auth, c.queries, c.commands)
    add_index_routes(router, c.settings.auth, c.index)
    app.include_router(router)
    return app


def build_handler(c: Container) -> AuditHandler:
    """The batch handler of both topics (the consumer's, and the dead letters' replay)."""
    return AuditHandler(c.record, c.settings.audit.sla_alerts_topic)


def build_consumer(c: Container) -> BatchConsumer:
    """The consumer of `dossier-events` and `sla-alerts`."""
    a = c.settings.audit
    handler = build_handler(c)
    return BatchConsumer(
        with_batch_window(c.settings.kafka, a.batch_window_ms),
        [a.dossier_events_topic, a.sla_alerts_topic],
        a.consumer_group,
        handler,
        c.publisher,
        ConsumerMetrics(c.registry),
        conditions=c.conditions,
    )


def build_relay(c: Container) -> OutboxRelay:
    """The outbox relay to `audit-findings`."""
    return OutboxRelay(c.engine, outbox, c.publisher, c.registry, c.settings.audit.outbox_lock_id)


async def reconcile_forever(c: Container, stop: asyncio.Event | None = None) -> None:
    """The reconciliation tick: rounds every interval, back to back while there is a backlog."""
    a = c.settings.audit

    async def round_() -> bool:
        return await c.reconcile() >= a.reconcile_batch

    await run_forever(
        "reconcile",
        round_,
        a.reconcile_interval_s,
        registry=c.registry,
        conditions=c.conditions,
        stop=stop,
    )

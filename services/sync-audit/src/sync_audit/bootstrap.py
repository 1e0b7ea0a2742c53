"""The composition root: builds every part of sync-audit from its settings, nothing at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.clock import Clock, SystemClock
from dunghan_common.db import OutboxRelay, create_engine, ping
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics
from dunghan_common.metrics import new_registry
from dunghan_common.settings import with_batch_window
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from sync_audit.adapters.http import build_router
from sync_audit.adapters.kafka import AuditHandler
from sync_audit.adapters.metrics import PrometheusAuditMetrics
from sync_audit.adapters.sql import SqlAuditUnitOfWork
from sync_audit.adapters.tables import outbox
from sync_audit.settings import SyncAuditSettings
from sync_audit.usecases.escalations import ChangeEscalation
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


def build(settings: SyncAuditSettings, clock: Clock | None = None) -> Container:
    """Wire the service: engine, publisher, use-cases, metrics."""
    clock = clock or SystemClock()
    engine = create_engine(settings.db)
    registry = new_registry(settings.service_name)
    metrics = PrometheusAuditMetrics(registry, settings.audit.max_error_codes)
    calendar = load_calendar(settings.audit.calendar_dir)
    compute_due = partial(due_calculator, calendar)
    a = settings.audit
    grace = timedelta(seconds=a.local_verdict_grace_s)

    def uow() -> SqlAuditUnitOfWork:
        return SqlAuditUnitOfWork(engine, a.findings_topic, a.event_source)

    return Container(
        settings=settings,
        engine=engine,
        registry=registry,
        publisher=KafkaPublisher(settings.kafka, client_id=f"{settings.service_name}-publisher"),
        record=RecordEvidence(uow, clock, compute_due, metrics, grace),
        reconcile=Reconcile(uow, clock, compute_due, metrics, a.reconcile_batch, grace),
        queries=AuditQueries(uow),
        commands=ChangeEscalation(uow, clock, metrics),
        metrics=metrics,
    )


def build_app(c: Container) -> FastAPI:
    """The HTTP application with its readiness checks."""
    app = create_app(
        "Đúng Hạn sync-audit",
        c.registry,
        readiness=[("database", partial(ping, c.engine)), ("kafka", c.publisher.ping)],
        description="Breach attribution, DOST escalations and the VPCP correction list.",
        metrics=c.settings.metrics,
    )
    app.include_router(build_router(c.settings.auth, c.queries, c.commands))
    return app


def build_consumer(c: Container) -> BatchConsumer:
    """The consumer of `dossier-events` and `sla-alerts`."""
    a = c.settings.audit
    handler = AuditHandler(c.record, a.sla_alerts_topic)
    return BatchConsumer(
        with_batch_window(c.settings.kafka, a.batch_window_ms),
        [a.dossier_events_topic, a.sla_alerts_topic],
        a.consumer_group,
        handler,
        c.publisher,
        ConsumerMetrics(c.registry),
    )


def build_relay(c: Container) -> OutboxRelay:
    """The outbox relay to `audit-findings`."""
    return OutboxRelay(c.engine, outbox, c.publisher, c.registry, c.settings.audit.outbox_lock_id)


async def reconcile_forever(c: Container, stop: asyncio.Event | None = None) -> None:
    """The reconciliation tick: rounds every interval, back to back while there is a backlog."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            done = await c.reconcile()
        except Exception:
            log.exception("reconciliation round failed")
            done = 0
        if done < c.settings.audit.reconcile_batch:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), c.settings.audit.reconcile_interval_s)

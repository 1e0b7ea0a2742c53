"""The composition root of ingest: everything is built here, from settings, at start-up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from dunghan_common.clock import Clock, SystemClock
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.metrics import new_registry
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

from ingest.adapters.gate import IngestGate
from ingest.adapters.http import EventsEndpoint, add_routes
from ingest.adapters.kafka import KafkaEventPublisher
from ingest.adapters.metrics import IngestMetrics
from ingest.adapters.openapi import install_event_schemas
from ingest.adapters.sql import LedgerPool, SqlIngestUnitOfWork
from ingest.settings import IngestSettings
from ingest.usecases import IngestEvents, PruneAccepted

log = logging.getLogger(__name__)

_DESCRIPTION = (
    "The provincial system's front door: CloudEvents in, acknowledged by Kafka before 202. "
    "See CONTRACT.md §1."
)


@dataclass
class IngestService:
    """The built process: its app, producer, ledger pool and the pruning use-case."""

    settings: IngestSettings
    app: FastAPI
    #: What is served: ``POST /v1/events`` ahead of ``app`` (`HotRoute`).
    asgi: ASGIApp
    registry: CollectorRegistry
    producer: KafkaPublisher
    ledger: LedgerPool
    prune: PruneAccepted

    async def start(self) -> None:
        """Connect the producer (the ledger pool connects on first use)."""
        await self.producer.start()

    async def stop(self) -> None:
        """Flush the producer and close the pool."""
        await self.producer.stop()
        await self.ledger.close()

    async def prune_forever(self) -> None:
        """Forget expired accepted pairs every ``prune_interval_s``."""
        while True:
            try:
                removed = await self.prune.execute()
                log.info("pruned accepted events", extra={"removed": removed})
            except Exception:
                log.exception("pruning accepted events failed; retrying next round")
            await asyncio.sleep(self.settings.api.prune_interval_s)


def build(settings: IngestSettings, clock: Clock | None = None) -> IngestService:
    """Wire the service from settings (sources are checked here: placeholders refused)."""
    clock = clock or SystemClock()
    sources = settings.all_sources()
    registry = new_registry(settings.service_name)
    metrics = IngestMetrics(registry)
    producer = KafkaPublisher(settings.kafka, client_id=settings.service_name)
    ledger = LedgerPool(settings.db)
    api = settings.api
    publisher = KafkaEventPublisher(
        producer,
        api.events_topic,
        api.contacts_topic,
        api.publish_timeout_s,
        metrics.produce_latency,
    )
    usecase = IngestEvents(
        lambda: SqlIngestUnitOfWork(ledger),
        publisher,
        clock,
        flush_max_events=api.flush_max_events,
        max_flushes=api.max_concurrent_flushes,
    )
    gate = IngestGate(sources, clock, api.max_body_bytes, api.signature_tolerance_s)
    app = create_app(
        "Đúng Hạn ingest",
        registry,
        readiness=[("kafka", producer.ping), ("database", ledger.ping)],
        description=_DESCRIPTION,
        metrics=settings.metrics,
    )
    endpoint = EventsEndpoint(gate, usecase, api, metrics)
    asgi = add_routes(app, endpoint)
    install_event_schemas(app)
    retention = timedelta(days=api.dedup_retention_days)
    prune = PruneAccepted(lambda: SqlIngestUnitOfWork(ledger), clock, retention)
    return IngestService(settings, app, asgi, registry, producer, ledger, prune)

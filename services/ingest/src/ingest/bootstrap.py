"""The composition root of ingest: everything is built here, from settings, at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from dunghan_common.clock import Clock, SystemClock
from dunghan_common.kafka import KafkaPublisher, RecordPublisher, TransactionalPublisher
from dunghan_common.loops import run_forever
from dunghan_common.metrics import new_registry
from dunghan_common.units import UnitDirectorySettings, UnitDirectorySource
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.types import ASGIApp

from ingest.adapters.dvcqg_http import DvcqgEndpoint, add_dvcqg_routes
from ingest.adapters.dvcqg_store import SqlDvcqgUnitOfWork
from ingest.adapters.gate import IngestGate
from ingest.adapters.http import EventsEndpoint, add_routes
from ingest.adapters.kafka import KafkaEventPublisher
from ingest.adapters.metrics import IngestMetrics
from ingest.adapters.openapi import install_event_schemas
from ingest.adapters.sql import LedgerPool, SqlIngestUnitOfWork
from ingest.dvcqg_catalogue import load_catalogue
from ingest.dvcqg_settings import DEV_PSEUDONYM_KEY
from ingest.dvcqg_usecases import SyncDvcqg
from ingest.settings import IngestSettings, transactional_id
from ingest.usecases import IngestEvents, PruneAccepted

log = logging.getLogger(__name__)

#: What the portal format's events carry beyond CloudEvents' own attributes (its translator's).
_DVCQG_EXTENSIONS = ("dvcqgflags",)

_DESCRIPTION = (
    "The provincial system's front door: CloudEvents in, acknowledged by Kafka before 202. "
    "See docs/contract.md §1."
)


@dataclass
class IngestService:
    """The built process: its app, producer, ledger pool and the pruning use-case."""

    settings: IngestSettings
    app: FastAPI
    #: What is served: ``POST /v1/events`` ahead of ``app`` (`HotRoute`).
    asgi: ASGIApp
    registry: CollectorRegistry
    producer: RecordPublisher
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
        """Forget expired accepted pairs every ``prune_interval_s`` (the shared loop policy)."""

        async def round_() -> bool:
            removed = await self.prune.execute()
            log.info("pruned accepted events", extra={"removed": removed})
            return False

        interval = self.settings.api.prune_interval_s
        await run_forever("prune", round_, interval, registry=self.registry)


def build(settings: IngestSettings, clock: Clock | None = None) -> IngestService:
    """Wire the service from settings (sources are checked here: placeholders refused)."""
    clock = clock or SystemClock()
    sources = settings.all_sources()
    registry = new_registry(settings.service_name)
    metrics = IngestMetrics(registry)
    producer = _producer(settings)
    ledger = LedgerPool(settings.db)
    api = settings.api
    publisher = KafkaEventPublisher(
        producer,
        api.events_topic,
        api.contacts_topic,
        api.publish_timeout_s,
        metrics.produce_latency,
        api.forwarded_extensions,
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
    endpoint = EventsEndpoint(gate, usecase, api, metrics, clock, publisher.record_sizes)
    asgi = add_routes(app, endpoint)
    add_dvcqg_routes(
        app,
        DvcqgEndpoint(
            gate, _dvcqg(settings, ledger, producer, metrics, clock), api, metrics, clock
        ),
    )
    install_event_schemas(app)
    retention = timedelta(days=api.dedup_retention_days)
    prune = PruneAccepted(lambda: SqlIngestUnitOfWork(ledger), clock, retention)
    return IngestService(settings, app, asgi, registry, producer, ledger, prune)


def _producer(settings: IngestSettings) -> RecordPublisher:
    """The Kafka producer both doors share: transactional (one per concurrent flush, and one for
    the portal format) unless ``DUNGHAN_INGEST_TRANSACTIONS=false``."""
    api = settings.api
    if not api.transactions:
        return KafkaPublisher(settings.kafka, client_id=settings.service_name)
    return TransactionalPublisher(
        settings.kafka,
        transactional_id(settings),
        slots=api.max_concurrent_flushes + 1,
        client_id=settings.service_name,
        # An open transaction holds back read_committed readers until it ends: a process gone
        # with one open has it aborted by the broker soon after the longest publish and commit.
        transaction_timeout_ms=int((2 * api.publish_timeout_s + 10) * 1000),
    )


def _dvcqg(
    settings: IngestSettings,
    ledger: LedgerPool,
    producer: RecordPublisher,
    metrics: IngestMetrics,
    clock: Clock,
) -> SyncDvcqg:
    """The portal format's use-case: the same ledger pool and producer as ``POST /v1/events``."""
    api, options = settings.api, settings.dvcqg
    key: bytes | None = options.pseudonym_key.get_secret_value().encode()
    if key == DEV_PSEUDONYM_KEY.encode() and not settings.is_development:
        log.warning("no DUNGHAN_DVCQG_PSEUDONYM_KEY: portal-format steps derive no assignments")
        key = None
    catalogue = load_catalogue(options.procedures_file)
    units = UnitDirectorySource.from_settings(UnitDirectorySettings())

    def unit_by_name(name: str) -> str | None:
        return units.current().code_by_portal_name(name)  # the directory as reloaded

    # The flags are ingest's own (the translator's), so they always reach the topic.
    publisher = KafkaEventPublisher(
        producer,
        api.events_topic,
        api.contacts_topic,
        api.publish_timeout_s,
        metrics.produce_latency,
        _DVCQG_EXTENSIONS,
    )
    return SyncDvcqg(
        lambda: SqlDvcqgUnitOfWork(ledger),
        publisher,
        clock,
        catalogue.get,
        unit_by_name,
        key,
    )

"""Settings of ingest: HTTP, Kafka, database, the sources and the request limits."""

from __future__ import annotations

import socket
from pathlib import Path

from dunghan_common.events.topics import DOSSIER_CONTACTS, DOSSIER_EVENTS
from dunghan_common.settings import (
    DEV_INGEST_KEY,
    BaseServiceSettings,
    DatabaseSettings,
    KafkaSettings,
    hash_secret,
    refuse_placeholders,
)
from pydantic import Field, TypeAdapter
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.domain.sources import SourceConfig
from ingest.dvcqg_settings import DvcqgSettings

DEV_SOURCE = "igate-quangtri"
_SOURCES = TypeAdapter(list[SourceConfig])


class IngestApiSettings(BaseSettings):
    """The request path (``DUNGHAN_INGEST_*``): sources, limits, topics, timeouts."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_INGEST_", extra="ignore", frozen=True)

    sources: list[SourceConfig] = Field(default_factory=list)
    sources_file: Path | None = None
    max_events: int = Field(default=1_000, ge=1)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    retry_after_s: int = Field(default=5, ge=1)
    signature_tolerance_s: int = Field(default=300, ge=1)
    #: How far ahead of this clock an event's ``time`` may be (a source's clock running fast).
    future_margin_s: int = Field(default=86_400, ge=0, le=7 * 86_400)
    dedup_retention_days: int = Field(default=30, ge=7)
    prune_interval_s: float = Field(default=3_600.0, gt=0)
    flush_max_events: int = Field(default=10_000, ge=1)
    max_concurrent_flushes: int = Field(default=2, ge=1)
    workers: int = Field(default=1, ge=1, le=32)
    #: Extension attributes forwarded onto the topics as ``ce_<name>`` headers; the others are
    #: accepted (within their bounds) but kept off the topics.
    forwarded_extensions: list[str] = Field(default_factory=lambda: ["traceparent", "tracestate"])
    #: Largest Kafka record an event may make (under the broker's 1 MiB ``message.max.bytes``);
    #: a request with a larger one is refused with 413 before anything is published.
    max_record_bytes: int = Field(default=1_000_000, ge=10_000)
    events_topic: str = DOSSIER_EVENTS
    contacts_topic: str = DOSSIER_CONTACTS
    #: Each flush in one Kafka transaction (read_committed readers see all of it or nothing);
    #: ``false`` only to measure what transactions cost (docs/performance.md, G11).
    transactions: bool = True
    #: The transactional ids' prefix; each process adds its host, port and worker index, so a
    #: restarted process fences its previous incarnation and no two live processes share one.
    transactional_id: str = "ingest"
    #: Set by the first process for the copies it starts (`ingest.adapters.serving`).
    worker_index: int = Field(default=0, ge=0)


class IngestDatabaseSettings(DatabaseSettings):
    """The ledger database: `DUNGHAN_DB_*` as every service, defaulting to `dunghan_ingest`.

    A class default, not an init argument: an init argument would win over `DUNGHAN_DB_URL`.
    """

    url: str = "postgresql+asyncpg://dunghan:dunghan@127.0.0.1:55432/dunghan_ingest"


def _producer_settings() -> KafkaSettings:
    """Kafka settings from the environment, with no linger unless ``DUNGHAN_KAFKA_LINGER_MS`` says.

    Group commit already gathers concurrent requests into one publish, and aiokafka keeps one
    produce request in flight per broker, so records batch up while it is out; lingering only
    delayed a lone flush (measured: higher single-event throughput with 0 than with 5 ms).
    """
    settings = KafkaSettings()
    if "linger_ms" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"linger_ms": 0})


def transactional_id(settings: IngestSettings) -> str:
    """This process's transactional id prefix: ``<prefix>-<host>-<port>-<worker>``."""
    api = settings.api
    return f"{api.transactional_id}-{socket.gethostname()}-{settings.http_port}-{api.worker_index}"


class IngestSettings(BaseServiceSettings):
    """Everything the ingest process needs; built once, in the composition root."""

    service_name: str = "ingest"
    http_port: int = 8000
    kafka: KafkaSettings = Field(default_factory=_producer_settings)
    db: DatabaseSettings = Field(default_factory=lambda: IngestDatabaseSettings())
    api: IngestApiSettings = Field(default_factory=IngestApiSettings)
    dvcqg: DvcqgSettings = Field(default_factory=DvcqgSettings)

    def all_sources(self) -> list[SourceConfig]:
        """The configured sources (environment and file); refuses placeholders outside dev."""
        sources = list(self.api.sources)
        if self.api.sources_file is not None:
            sources += _SOURCES.validate_json(self.api.sources_file.read_bytes())
        if not sources and self.is_development:
            sources = [SourceConfig(id=DEV_SOURCE, key_hashes=[hash_secret(DEV_INGEST_KEY)])]
        ids = [s.id for s in sources]
        if len(set(ids)) != len(ids):
            raise ValueError("ingest sources: a source id is configured twice")
        hashes = [h for s in sources for h in s.key_hashes]
        refuse_placeholders(self.env, hashes, "ingest sources")
        return sources

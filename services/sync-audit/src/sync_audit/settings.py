"""Settings of the sync-audit service, composed from the common mixins."""

from __future__ import annotations

from pathlib import Path

from dunghan_common.events.topics import AUDIT_FINDINGS, DOSSIER_EVENTS, SLA_ALERTS
from dunghan_common.settings import (
    AuthSettings,
    BaseServiceSettings,
    DatabaseSettings,
    KafkaSettings,
    refuse_placeholders,
)
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuditSettings(BaseSettings):
    """Topics, group, timings and limits of the audit itself (``DUNGHAN_AUDIT_*``)."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_AUDIT_", extra="ignore", frozen=True)

    dossier_events_topic: str = DOSSIER_EVENTS
    sla_alerts_topic: str = SLA_ALERTS
    findings_topic: str = AUDIT_FINDINGS
    consumer_group: str = "dunghan-sync-audit"
    #: The consumer's batch window (`with_batch_window`): attribution waits on lateness verdicts
    #: and portal snapshots anyway, so a tenth of a second costs nothing users see.
    batch_window_ms: int = Field(100, ge=0, le=5_000)
    event_source: str = "dunghan-sync-audit"
    reconcile_interval_s: float = Field(30.0, gt=0)
    reconcile_batch: int = Field(500, ge=1, le=10_000)
    outbox_lock_id: int = 5_002
    calendar_dir: Path = Path(__file__).resolve().parents[4] / "config" / "calendar"
    #: error codes beyond this many distinct ones are counted as ``other`` (bounded labels).
    max_error_codes: int = Field(50, ge=1, le=500)


class AuditDatabaseSettings(DatabaseSettings):
    """The service's own database by default; ``DUNGHAN_DB_URL`` overrides it."""

    url: str = "postgresql+asyncpg://dunghan:dunghan@127.0.0.1:55432/dunghan_sync_audit"


class SyncAuditSettings(BaseServiceSettings):
    """Everything the sync-audit process needs."""

    service_name: str = "sync-audit"
    http_port: int = 8002
    db: DatabaseSettings = Field(default_factory=AuditDatabaseSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @model_validator(mode="after")
    def _no_placeholder_tokens(self) -> SyncAuditSettings:
        refuse_placeholders(self.env, [t.token_hash for t in self.auth.tokens], "DUNGHAN_AUTH")
        return self

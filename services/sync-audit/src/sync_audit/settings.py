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
from pydantic import Field, SecretStr, model_validator
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
    #: how often the points-at-stake metric is recomputed from the latest stored portal answer
    index_refresh_interval_s: float = Field(300.0, gt=0)
    #: a unit losing more index points than this to faults is alerted on (of 20 points)
    index_alert_points: float = Field(0.5, ge=0, le=20)


class PortalIndexSettings(BaseSettings):
    """The scheduled fetch of the portal's index answer (``DUNGHAN_AUDIT_PORTAL_INDEX_*``): off
    unless both a URL and an interval are set."""

    model_config = SettingsConfigDict(
        env_prefix="DUNGHAN_AUDIT_PORTAL_INDEX_", extra="ignore", frozen=True
    )

    #: e.g. ``https://<portal>/api/v1/reporting/evaluation/dvc-progress-tree``
    url: str | None = None
    #: the province's ``rootDepartmentId`` on the portal
    root_department_id: str = ""
    token: SecretStr | None = None
    #: 0: never fetched (answers are PUT or imported instead)
    fetch_interval_s: float = Field(0.0, ge=0)
    #: months fetched before the current one (the last month's figures settle after it ends)
    months_back: int = Field(1, ge=0, le=12)
    page_size: int = Field(100, ge=1, le=1000)
    timeout_s: float = Field(30.0, gt=0)


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
    portal_index: PortalIndexSettings = Field(default_factory=PortalIndexSettings)

    @model_validator(mode="after")
    def _no_placeholder_tokens(self) -> SyncAuditSettings:
        refuse_placeholders(self.env, [t.token_hash for t in self.auth.tokens], "DUNGHAN_AUTH")
        return self

"""Settings of the SLA service: the shared sections plus its own (prefix ``DUNGHAN_SLA_``)."""

from __future__ import annotations

from pathlib import Path

from dunghan_common.events.topics import DOSSIER_EVENTS, SLA_ALERTS
from dunghan_common.settings import (
    AuthSettings,
    BaseServiceSettings,
    DatabaseSettings,
    KafkaSettings,
)
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlaOptions(BaseSettings):
    """What only sla has (``DUNGHAN_SLA_*``): topics, group, config directories, tick, pool."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_SLA_", extra="ignore", frozen=True)

    events_topic: str = DOSSIER_EVENTS
    alerts_topic: str = SLA_ALERTS
    consumer_group: str = "sla-projector"
    #: The projector's batch window (`with_batch_window`). None by default: the projector is on
    #: G7's freshness path, whose p99 at moderate load measured 17 ms without a window and 45 to
    #: 68 ms with one of 20 ms (the window saves CPU only under a heavy steady flow).
    batch_window_ms: int = Field(default=0, ge=0, le=1_000)
    alert_source: str = "dunghan-sla"

    calendar_dir: Path = Path("config/calendar")
    rules_dir: Path = Path("config/sla")
    targets_dir: Path = Path("config/targets")

    tick_interval_s: float = Field(default=1.0, gt=0)
    tick_batch: int = Field(default=1000, ge=1, le=10_000)
    # Timers fire only up to the event-time watermark less this: room for events their source
    # sends slightly after their event time (see README, "Event-time watermark").
    watermark_margin_s: float = Field(default=0.5, ge=0)
    # No timer of a dossier fires within this of the dossier's latest change: a deadline already
    # past when events arrive (a replay, a sender's backlog) waits until they stop arriving,
    # since a finish or a pause may be among the next (see README, "Quiet period").
    quiet_s: float = Field(default=30.0, ge=0, le=3_600)
    # The tick fires nothing while this process's clock is ahead of the database server's by
    # more than this (a forward clock jump would fire every breach inside it).
    clock_skew_tolerance_s: float = Field(default=5.0, gt=0)
    # Events dated further ahead than this are applied as nothing (ingest refuses them).
    future_margin_s: int = Field(default=86_400, ge=0, le=7 * 86_400)
    gauge_refresh_s: float = Field(default=15.0, gt=0)
    relay_lock_id: int = 4_100_001
    pool_min: int = Field(default=1, ge=1)
    pool_max: int = Field(default=5, ge=1)
    #: sync-audit's API: the monthly report reads its correction list, escalations and index gap.
    audit_url: str = "http://127.0.0.1:8002"


class SlaSettings(BaseServiceSettings):
    """Everything the SLA roles need; topics and group are settings so tests use fresh ones."""

    service_name: str = "sla"
    http_port: int = 8001
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    sla: SlaOptions = Field(default_factory=SlaOptions)

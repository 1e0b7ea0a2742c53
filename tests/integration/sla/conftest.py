"""Fixtures of the SLA integration tests: a migrated fresh database and fresh topics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from dunghan_common.db.migrations import upgrade
from dunghan_common.settings import DatabaseSettings, KafkaSettings
from sla.settings import SlaOptions, SlaSettings

from tests import support

ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = ROOT / "services" / "sla" / "src" / "sla" / "migrations"


@pytest_asyncio.fixture(loop_scope="session")
async def sla_settings(fresh_database: str, topic_factory) -> AsyncIterator[SlaSettings]:
    """Settings pointing at a migrated fresh database and fresh events/alerts topics."""
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    events = await topic_factory("sla_events", partitions=3)
    alerts = await topic_factory("sla_alerts", partitions=1)
    yield SlaSettings(
        env="test",
        db=DatabaseSettings(url=fresh_database),
        kafka=KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
        sla=SlaOptions(
            events_topic=events,
            alerts_topic=alerts,
            consumer_group=support.unique("sla"),
            calendar_dir=ROOT / "config" / "calendar",
            rules_dir=ROOT / "config" / "sla",
            targets_dir=ROOT / "config" / "targets",
            tick_interval_s=0.05,
            quiet_s=0,  # timers as planned; the quiet period has a test of its own
        ),
    )

"""The contract's topics with their declared partition counts and configs; creating them, and
bringing existing ones back to the declared configs.

`dossier-contacts` is an intake channel, not a store: notify's database is the record of
contacts once consumed (docs/domain.md §9). The topic keeps a record
``CONTACTS_TOPIC_RETENTION_DAYS`` (compacted: the latest per key), long enough for any consumer
outage and for a rebuild of notify's contacts of that window (docs/operations.md, "Rebuilding
notify's contacts"); its dead letters, personal data too, never outlive it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from dunghan_common.events.topics import (
    AUDIT_FINDINGS,
    DOSSIER_CONTACTS,
    DOSSIER_EVENTS,
    SLA_ALERTS,
    dlq,
)

log = logging.getLogger(__name__)
_DAY_MS = 24 * 3600 * 1000
_WEEK_MS = 7 * _DAY_MS
#: How long `dossier-contacts` keeps a record: the one declared value (k8s' KafkaTopic checked).
CONTACTS_TOPIC_RETENTION_DAYS = 90


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the contract declares it."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def contract_topics(
    partitions: int = 6, contacts_retention_days: int = CONTACTS_TOPIC_RETENTION_DAYS
) -> list[TopicSpec]:
    """Return the topics of docs/contract.md §2 and their dead-letter topics."""
    contacts_ms = str(contacts_retention_days * _DAY_MS)
    main = [
        TopicSpec(DOSSIER_EVENTS, partitions, {"retention.ms": "-1"}),
        TopicSpec(
            DOSSIER_CONTACTS,
            partitions,
            {"cleanup.policy": "compact,delete", "retention.ms": contacts_ms},
        ),
        TopicSpec(SLA_ALERTS, partitions, {"retention.ms": str(4 * _WEEK_MS)}),
        TopicSpec(AUDIT_FINDINGS, partitions, {"retention.ms": str(4 * _WEEK_MS)}),
    ]
    dlqs = [
        TopicSpec(dlq(t.name), 1, {"retention.ms": str(4 * _WEEK_MS)}) for t in main[:1] + main[2:]
    ]
    # Dead letters of contacts are personal data like the contacts (sealed by notify): the same
    # finite retention, compacted so the tombstone notify writes when it purges a dossier's
    # contacts removes its dead letters too; daily segments so compaction reaches them.
    personal = {**main[1].config, "segment.ms": str(_DAY_MS)}
    return [*main, *dlqs, TopicSpec(dlq(DOSSIER_CONTACTS), 1, personal)]


async def ensure_topics(bootstrap: str, specs: list[TopicSpec], attempts: int = 30) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    for attempt in range(attempts):
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            new = [NewTopic(s.name, s.partitions, 1, topic_configs=s.config) for s in missing]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                log.info("topics created concurrently")
        present = [s for s in specs if s.name in existing and s.config]
        if present:  # a retention changed since they were created: the declared one holds
            await admin.alter_configs([_resource(s) for s in present])
        return [s.name for s in missing]
    finally:
        await admin.close()


def _resource(spec: TopicSpec) -> ConfigResource:
    """The topic's declared configs, to set on the broker (the rest return to defaults)."""
    return ConfigResource(ConfigResourceType.TOPIC, spec.name, dict(spec.config))

"""The contract's topics with their declared partition counts and configs, and their creation."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
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


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the contract declares it."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def contract_topics(partitions: int = 6, contacts_retention_days: int = 90) -> list[TopicSpec]:
    """Return the topics of docs/contract.md §2 and their dead-letter topics."""
    contacts_ms = str(contacts_retention_days * 24 * 3600 * 1000)
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
        return [s.name for s in missing]
    finally:
        await admin.close()

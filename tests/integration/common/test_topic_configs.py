"""ensure-topics brings an existing topic back to its declared configs (a retention changed)."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from dunghan_common.kafka.topics import TopicSpec, ensure_topics
from dunghan_common.settings import KafkaSettings

from tests import support

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _retention(admin: AIOKafkaAdminClient, topic: str) -> str:
    wanted = ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": None})
    (answer,) = await admin.describe_configs([wanted])
    entries = {entry[0]: entry[1] for entry in answer.resources[0][4]}
    return str(entries["retention.ms"])


async def test_an_existing_topic_takes_the_declared_retention() -> None:
    bootstrap = KafkaSettings().bootstrap_servers
    topic = support.unique("contacts-retention")
    spec = {"cleanup.policy": "compact,delete"}
    created = await ensure_topics(bootstrap, [TopicSpec(topic, 1, spec | {"retention.ms": "1000"})])
    assert created == [topic]
    again = await ensure_topics(bootstrap, [TopicSpec(topic, 1, spec | {"retention.ms": "7000"})])
    assert again == []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        assert await _retention(admin, topic) == "7000"
        await admin.delete_topics([topic])
    finally:
        await admin.close()

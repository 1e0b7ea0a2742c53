"""The lag gauge follows the partitions a member holds, and reads 0 for those it lost."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from dunghan_common.kafka.consumer import BatchConsumer, ConsumerMetrics
from dunghan_common.settings import KafkaSettings
from prometheus_client import CollectorRegistry

pytestmark = pytest.mark.asyncio(loop_scope="session")


class FakeConsumer:
    """What `_update_lag` asks of aiokafka: the assignment, end offsets and positions."""

    def __init__(self, ends: dict[TopicPartition, int], positions: dict[TopicPartition, int]):
        self.ends = ends
        self.positions = positions

    def assignment(self) -> set[TopicPartition]:
        return set(self.ends)

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]


def _lag(registry: CollectorRegistry, topic: str) -> float | None:
    labels = {"topic": topic, "group": "g"}
    return registry.get_sample_value("dunghan_consumer_lag_records", labels)


async def test_lag_is_measured_per_topic_and_zeroed_when_partitions_leave() -> None:
    registry = CollectorRegistry()
    consumer = BatchConsumer(
        KafkaSettings(),
        ["events", "alerts"],
        "g",
        None,
        None,
        ConsumerMetrics(registry),  # type: ignore[arg-type]
    )
    e0, e1, a0 = (
        TopicPartition("events", 0),
        TopicPartition("events", 1),
        TopicPartition("alerts", 0),
    )
    consumer._consumer = FakeConsumer({e0: 10, e1: 7, a0: 5}, {e0: 4, e1: 7, a0: 1})  # type: ignore[assignment]
    await consumer._update_lag()
    assert (_lag(registry, "events"), _lag(registry, "alerts")) == (6, 4)

    # A rebalance gives this member's partitions to others: its gauge must not keep the old lag.
    consumer._consumer = FakeConsumer({}, {})  # type: ignore[assignment]
    consumer._lag_measured_at = 0.0
    await consumer._update_lag()
    assert (_lag(registry, "events"), _lag(registry, "alerts")) == (0, 0)

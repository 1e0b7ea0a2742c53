"""A rebalance while a batch is in flight: the refused commit is counted, never raised.

Member A takes every partition and is slow on its first batch; member B joins meanwhile, so the
group moves half the partitions to B before A commits. Before, A's commit raised
(`IllegalStateError` for a partition no longer assigned, or `CommitFailedError`) and the
process died; now A commits what it still holds, counts the rest, and carries on. B applies the
moved partitions again from the last committed offset; every record is applied at least once and
the group's committed offsets reach the end of every partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from dunghan_common.kafka import BatchConsumer, KafkaPublisher, OutgoingRecord
from dunghan_common.kafka.consumer import ConsumerMetrics, Record
from dunghan_common.settings import KafkaSettings
from prometheus_client import CollectorRegistry

from tests import support

pytestmark = pytest.mark.asyncio(loop_scope="session")
PARTITIONS, PER_PARTITION = 6, 20


class Slow:
    """Records what it applied; the first batch takes ``first_s``."""

    def __init__(self, first_s: float = 0.0) -> None:
        self.applied: list[bytes] = []
        self.first_s = first_s
        self.in_first = asyncio.Event()

    async def __call__(self, records: Sequence[Record]) -> None:
        if self.first_s and not self.in_first.is_set():
            self.in_first.set()
            await asyncio.sleep(self.first_s)
        self.applied += [r.value or b"" for r in records]


async def test_a_commit_refused_by_a_rebalance_is_not_fatal() -> None:
    topic, group = support.unique("rebalance"), support.unique("group")
    await support.create_topics([topic, f"{topic}.dlq"], PARTITIONS)
    settings = KafkaSettings(bootstrap_servers=support.kafka_bootstrap())
    publisher = KafkaPublisher(settings)
    await publisher.start()
    values = [f"r{i}".encode() for i in range(PARTITIONS * PER_PARTITION)]
    records = [OutgoingRecord(topic, v, key=v) for v in values]
    await publisher.publish(records)
    slow, fast = Slow(first_s=8.0), Slow()
    registry_a = CollectorRegistry()
    a = BatchConsumer(settings, [topic], group, slow, publisher, ConsumerMetrics(registry_a))
    b = BatchConsumer(
        settings, [topic], group, fast, publisher, ConsumerMetrics(CollectorRegistry())
    )
    try:
        await a.start()
        run_a = asyncio.create_task(a.run())
        await asyncio.wait_for(slow.in_first.wait(), 30)
        await b.start()  # joins while A's first batch is in flight
        run_b = asyncio.create_task(b.run())
        async with asyncio.timeout(60):
            while set(slow.applied) | set(fast.applied) != set(values):
                assert not run_a.done(), run_a.exception()
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # the last commits
        assert not run_a.done()
        assert not run_b.done()
        refused = registry_a.get_sample_value(
            "dunghan_consumer_commits_refused_total", {"group": group, "reason": "revoked"}
        )
        assert (refused or 0) >= 1
        committed, ends = await _committed(topic, group)
        assert committed == ends
    finally:
        for consumer in (a, b):
            await consumer.stop()
        await publisher.stop()
        await support.delete_topics([topic, f"{topic}.dlq"])


async def _committed(topic: str, group: str) -> tuple[dict[int, int], dict[int, int]]:
    """The group's committed offset and the end of each partition."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=support.kafka_bootstrap(),
        group_id=group,
        isolation_level="read_committed",
    )
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await reader.end_offsets(tps)
        committed = {tp.partition: await reader.committed(tp) for tp in tps}
        return committed, {tp.partition: end for tp, end in ends.items()}
    finally:
        await reader.stop()

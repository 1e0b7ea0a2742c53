"""The publisher and the batch consumer against the real broker: delivery, commits, retries, DLQ."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from dunghan_common.kafka import BatchConsumer, KafkaPublisher, OutgoingRecord, PoisonMessageError
from dunghan_common.kafka.consumer import ConsumerMetrics, Record
from dunghan_common.settings import KafkaSettings
from prometheus_client import CollectorRegistry

from tests import support

pytestmark = pytest.mark.asyncio(loop_scope="session")


def settings() -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=support.kafka_bootstrap(), consumer_retry_backoff_s=0.05)


async def publish(topic: str, values: list[bytes]) -> None:
    publisher = KafkaPublisher(settings())
    await publisher.start()
    try:
        records = [OutgoingRecord(topic, v, key=v[-1:], headers=[("h", b"1")]) for v in values]
        await publisher.publish(records)
    finally:
        await publisher.stop()


async def consume_until(
    topic: str, group: str, handler, expected: int, dlq_pub: KafkaPublisher
) -> BatchConsumer:
    consumer = BatchConsumer(
        settings(), [topic], group, handler, dlq_pub, ConsumerMetrics(CollectorRegistry())
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(30):
            while handler.count < expected:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.6)  # let the loop commit the last batch
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return consumer


class Collect:
    """A handler that records what it applied and fails as told."""

    def __init__(self, fail_times: int = 0, exc: type[Exception] = ConnectionError) -> None:
        self.values: list[bytes] = []
        self.fail_times = fail_times
        self.exc = exc

    @property
    def count(self) -> int:
        return len(self.values)

    async def __call__(self, records: Sequence[Record]) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise self.exc("simulated failure")
        for r in records:
            if r.value == b"poison":
                raise PoisonMessageError("cannot decode")
        self.values.extend(r.value for r in records if r.value is not None)


async def read_all(topic: str, expected: int) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=support.kafka_bootstrap(),
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    out: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(20):
            while len(out) < expected:
                for part in (await consumer.getmany(timeout_ms=500)).values():
                    out.extend((r.value, dict(r.headers)) for r in part)
    finally:
        await consumer.stop()
    return out


async def test_every_record_is_applied_once_and_committed(topic_factory) -> None:
    topic = await topic_factory("roundtrip")
    values = [f"event-{i}".encode() for i in range(500)]
    await publish(topic, values)
    dlq_pub = KafkaPublisher(settings())
    await dlq_pub.start()
    try:
        group = support.unique("g")
        first = Collect()
        await consume_until(topic, group, first, 500, dlq_pub)
        assert sorted(first.values) == sorted(values)
        again = Collect()
        await publish(topic, [b"after-restart"])
        await consume_until(topic, group, again, 1, dlq_pub)
        assert again.values == [b"after-restart"]
    finally:
        await dlq_pub.stop()


async def test_transient_failures_are_retried_not_dead_lettered(topic_factory) -> None:
    topic = await topic_factory("transient")
    await publish(topic, [b"a1", b"a2", b"a3"])
    dlq_pub = KafkaPublisher(settings())
    await dlq_pub.start()
    try:
        handler = Collect(fail_times=5, exc=ConnectionError)
        await consume_until(topic, support.unique("g"), handler, 3, dlq_pub)
        assert sorted(handler.values) == [b"a1", b"a2", b"a3"]
    finally:
        await dlq_pub.stop()


async def test_poison_goes_to_dlq_with_the_error_and_the_partition_moves_on(topic_factory) -> None:
    topic = await topic_factory("poison", partitions=1)
    await publish(topic, [b"ok-1", b"poison", b"ok-2"])
    dlq_pub = KafkaPublisher(settings())
    await dlq_pub.start()
    try:
        handler = Collect()
        await consume_until(topic, support.unique("g"), handler, 2, dlq_pub)
        assert handler.values == [b"ok-1", b"ok-2"]
        dead = await read_all(f"{topic}.dlq", 1)
        value, headers = dead[0]
        assert value == b"poison"
        assert headers["dlq_error"].startswith(b"PoisonMessageError: cannot decode")
        assert headers["dlq_topic"] == topic.encode()
        assert headers["h"] == b"1"
    finally:
        await dlq_pub.stop()


async def test_a_bug_is_retried_then_isolated(topic_factory) -> None:
    topic = await topic_factory("bug", partitions=1)
    await publish(topic, [b"x1", b"x2"])
    dlq_pub = KafkaPublisher(settings())
    await dlq_pub.start()
    try:
        handler = Collect(fail_times=2, exc=ValueError)
        await consume_until(topic, support.unique("g"), handler, 2, dlq_pub)
        assert sorted(handler.values) == [b"x1", b"x2"]
    finally:
        await dlq_pub.stop()


async def test_the_group_reaches_the_end_of_partitions_ending_in_transaction_markers(
    topic_factory,
) -> None:
    """A committed transaction ends in a commit marker, an aborted one is skipped whole: the
    group's committed offset reaches each partition's end anyway (what sla's timers wait for)."""
    topic = await topic_factory("markers", partitions=2)
    producer = AIOKafkaProducer(
        bootstrap_servers=support.kafka_bootstrap(), transactional_id=support.unique("tx")
    )
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(3):
                await producer.send_and_wait(topic, f"kept-{i}".encode(), partition=0)
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted", partition=1)
        await producer.abort_transaction()
    finally:
        await producer.stop()
    dlq_pub = KafkaPublisher(settings())
    await dlq_pub.start()
    group = support.unique("g")
    handler = Collect()
    consumer = BatchConsumer(
        settings(), [topic], group, handler, dlq_pub, ConsumerMetrics(CollectorRegistry())
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    partitions = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    admin = AIOKafkaAdminClient(bootstrap_servers=support.kafka_bootstrap())
    await admin.start()
    try:
        ends = await end_offsets(partitions)
        assert ends == {partitions[0]: 4, partitions[1]: 2}  # 3 records + marker; 1 + marker
        committed: dict[TopicPartition, int] = {}
        async with asyncio.timeout(20):
            while committed != ends:
                await asyncio.sleep(0.2)
                found = await admin.list_consumer_group_offsets(group, partitions=partitions)
                committed = {tp: m.offset for tp, m in found.items() if m.offset >= 0}
        assert handler.values == [b"kept-0", b"kept-1", b"kept-2"]
    finally:
        await admin.close()
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dlq_pub.stop()


async def end_offsets(partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """The partitions' ends (the next offset), as a read_committed reader sees them."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=support.kafka_bootstrap(), isolation_level="read_committed"
    )
    await reader.start()
    try:
        return dict(await reader.end_offsets(partitions))
    finally:
        await reader.stop()

"""TransactionalPublisher with a fake producer: commit only after every ack, abort otherwise,
and a producer that cannot abort is replaced (never committed)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from dunghan_common.kafka import (
    CommitUnknown,
    OutgoingRecord,
    PublishError,
    PublishRefused,
    TransactionalPublisher,
)
from dunghan_common.settings import KafkaSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _Batch:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    def append(self, key, value, timestamp, headers):
        self.values.append(value)
        return True


class _Client:
    async def close(self) -> None:
        pass

    async def fetch_all_metadata(self) -> None:
        pass


class _Producer:
    """Stands in for a transactional AIOKafkaProducer; the test sets how each step behaves."""

    def __init__(self, txn_id: str) -> None:
        self.txn_id = txn_id
        self.client = _Client()
        self.log: list[str] = []
        self.ack: BaseException | None = None  # the error every batch's future gets
        self.ack_never = False  # the futures never resolve (a broker that stopped answering)
        self.abort_hangs = False
        self.commit_hangs = False
        self.stopped = False
        self.sent: list[bytes] = []

    async def begin_transaction(self) -> None:
        self.log.append("begin")

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}

    def create_batch(self) -> _Batch:
        return _Batch()

    async def send_batch(self, batch: _Batch, topic: str, partition: int):
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.ack is not None:
            future.set_exception(self.ack)
        elif not self.ack_never:
            self.sent += batch.values
            future.set_result(None)
        return future

    async def commit_transaction(self) -> None:
        self.log.append("commit")
        if self.commit_hangs:
            await asyncio.Event().wait()

    async def abort_transaction(self) -> None:
        self.log.append("abort")
        if self.abort_hangs:
            await asyncio.Event().wait()

    async def stop(self) -> None:
        self.stopped = True


def _publisher(slots: int = 1) -> tuple[TransactionalPublisher, list[_Producer]]:
    made: list[_Producer] = []

    async def factory(txn_id: str) -> _Producer:
        made.append(_Producer(txn_id))
        return made[-1]

    publisher = TransactionalPublisher(
        KafkaSettings(), "ingest-h-8000-0", slots=slots, abort_timeout_s=0.05, factory=factory
    )
    return publisher, made


RECORDS = [OutgoingRecord("t", b"a", b"k1"), OutgoingRecord("t", b"b", b"k2")]


async def test_acknowledged_records_are_committed() -> None:
    publisher, made = _publisher()
    await publisher.start()
    await publisher.publish_partitioned(RECORDS, timeout_s=1)
    assert made[0].log == ["begin", "commit"]
    assert sorted(made[0].sent) == [b"a", b"b"]
    assert made[0].txn_id == "ingest-h-8000-0-0"


async def test_acks_past_the_deadline_abort_and_never_commit() -> None:
    publisher, made = _publisher()
    await publisher.start()
    made[0].ack_never = True
    with pytest.raises(PublishError, match="TimeoutError"):
        await publisher.publish_partitioned(RECORDS, timeout_s=0.05)
    assert made[0].log == ["begin", "abort"]
    # Replaced even so: aiokafka keeps the unsent batches' sequence numbers after an abort.
    assert made[0].stopped
    await publisher.publish_partitioned(RECORDS, timeout_s=1)
    assert made[1].log == ["begin", "commit"]


async def test_a_producer_that_cannot_abort_is_replaced_under_the_same_id() -> None:
    publisher, made = _publisher()
    await publisher.start()
    made[0].ack_never = made[0].abort_hangs = True
    with pytest.raises(PublishError):
        await publisher.publish_partitioned(RECORDS, timeout_s=0.05)
    assert "commit" not in made[0].log
    assert made[0].stopped
    # The successor registers the same transactional id: that fences the old one and has the
    # coordinator abort what it left open.
    assert [p.txn_id for p in made] == ["ingest-h-8000-0-0"] * 2
    await publisher.publish_partitioned(RECORDS, timeout_s=1)
    assert made[1].log == ["begin", "commit"]
    assert "commit" not in made[0].log


async def test_a_refused_record_aborts_and_is_reported_as_a_refusal() -> None:
    publisher, made = _publisher()
    await publisher.start()
    made[0].ack = MessageSizeTooLargeError()
    with pytest.raises(PublishRefused) as refused:
        await publisher.publish_partitioned(RECORDS, timeout_s=1)
    assert refused.value.too_large
    assert made[0].log == ["begin", "abort"]


async def test_a_passing_error_is_not_a_refusal() -> None:
    publisher, made = _publisher()
    await publisher.start()
    made[0].ack = KafkaTimeoutError()
    with pytest.raises(PublishError) as failed:
        await publisher.publish_partitioned(RECORDS, timeout_s=1)
    assert not isinstance(failed.value, PublishRefused)
    assert made[0].log == ["begin", "abort"]


async def test_an_unanswered_commit_is_reported_apart_and_replaces_the_producer() -> None:
    publisher, made = _publisher()
    await publisher.start()
    made[0].commit_hangs = True
    with pytest.raises(CommitUnknown):
        await publisher.publish_partitioned(RECORDS, timeout_s=0.05)
    assert made[0].stopped
    assert len(made) == 2


async def test_concurrent_batches_take_separate_producers() -> None:
    publisher, made = _publisher(slots=2)
    await publisher.start()
    for p in made:
        p.ack_never = True
    first = asyncio.ensure_future(publisher.publish_partitioned(RECORDS[:1], timeout_s=0.2))
    second = asyncio.ensure_future(publisher.publish_partitioned(RECORDS[1:], timeout_s=0.2))
    await asyncio.sleep(0.01)
    assert [p.log for p in made] == [["begin"], ["begin"]]
    assert [p.txn_id for p in made] == ["ingest-h-8000-0-0", "ingest-h-8000-0-1"]
    await asyncio.gather(first, second, return_exceptions=True)


async def test_a_batch_waits_for_a_free_producer_within_its_deadline() -> None:
    publisher, made = _publisher(slots=1)
    await publisher.start()
    made[0].ack_never = True
    busy = asyncio.ensure_future(publisher.publish_partitioned(RECORDS, timeout_s=0.3))
    await asyncio.sleep(0.01)
    with pytest.raises(PublishError, match="no transactional producer free"):
        await publisher.publish_partitioned(RECORDS, timeout_s=0.05)
    with pytest.raises(PublishError):
        await busy

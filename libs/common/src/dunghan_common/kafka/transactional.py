"""Publishing each batch in a Kafka transaction: read_committed readers see all of it or nothing.

A batch is committed only once every record was acknowledged within its time bound; otherwise its
transaction is aborted and the producer closed, and a new one is started under the same
transactional id. When the abort itself cannot finish (the broker gone, the producer wedged on a
batch it cannot deliver), the new one's registration fences the old and makes the coordinator
abort the open transaction, and failing that the broker aborts it after
``transaction_timeout_ms``. Nothing calls commit after a failure, so an aborted batch is never
visible.

The one outcome the caller cannot know is a commit whose answer did not arrive in time: the
coordinator may have committed it. That is `CommitUnknown`, kept apart from the other failures.

A producer runs one transaction at a time, so the publisher keeps ``slots`` producers (ids
``<transactional_id>-<slot>``) and a batch takes a free one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from dunghan_common.kafka.producer import (
    OutgoingRecord,
    PublishError,
    PublishRefused,
    by_partition,
    producer_options,
    publish_error,
    send_group,
)
from dunghan_common.settings import KafkaSettings

log = logging.getLogger(__name__)


class CommitUnknown(PublishError):
    """Every record was acknowledged and the commit was sent, but its answer never came."""


class RecordPublisher(Protocol):
    """What publishes a batch of records and returns once all of it is acknowledged."""

    async def start(self) -> None:
        """Connect."""
        ...

    async def stop(self) -> None:
        """Close."""
        ...

    async def ping(self) -> None:
        """Raise unless the cluster answers."""
        ...

    async def publish_partitioned(
        self, records: Sequence[OutgoingRecord], timeout_s: float = 10.0
    ) -> None:
        """Publish every record or raise `PublishError` (`PublishRefused` for the records)."""
        ...


ProducerFactory = Callable[[str], Awaitable[AIOKafkaProducer]]


class TransactionalPublisher:
    """`RecordPublisher` where each batch is one Kafka transaction, on ``slots`` producers."""

    def __init__(
        self,
        settings: KafkaSettings,
        transactional_id: str,
        slots: int = 1,
        client_id: str | None = None,
        transaction_timeout_ms: int = 60_000,
        abort_timeout_s: float = 2.0,
        factory: ProducerFactory | None = None,
    ) -> None:
        client = client_id or settings.client_id

        async def make(txn_id: str) -> AIOKafkaProducer:
            producer = AIOKafkaProducer(
                **producer_options(settings, client),
                transactional_id=txn_id,
                transaction_timeout_ms=transaction_timeout_ms,
            )
            try:
                await producer.start()
                await _register(producer)
            except BaseException:  # unreachable, or cancelled by a deadline: leave nothing open
                await _close(producer, abort_timeout_s)
                raise
            return producer

        make_producer = factory or make
        self._all = [
            TransactionSlot(f"{transactional_id}-{n}", make_producer, abort_timeout_s)
            for n in range(slots)
        ]
        self._free: asyncio.Queue[TransactionSlot] = asyncio.Queue()

    async def start(self) -> None:
        """Start every slot's producer (raises if the cluster is unreachable)."""
        for slot in self._all:
            await slot.start()
            self._free.put_nowait(slot)

    async def stop(self) -> None:
        """Close every producer (an open transaction is left to the broker to abort)."""
        for slot in self._all:
            await slot.stop()

    async def ping(self) -> None:
        """Raise unless the cluster metadata can be fetched (readiness)."""
        await self._all[0].ping()

    async def publish_partitioned(
        self, records: Sequence[OutgoingRecord], timeout_s: float = 10.0
    ) -> None:
        """Publish the records in one transaction on a free slot; commit once all are acked.

        ``timeout_s`` bounds waiting for a slot, the records and their acks; the commit has a
        bound of its own (the same), after which `CommitUnknown` is raised.
        """
        if not records:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                slot = await self._free.get()
        except TimeoutError as exc:
            raise PublishError("no transactional producer free in time") from exc
        try:
            await slot.publish(records, max(deadline - loop.time(), 0.001))
        finally:
            self._free.put_nowait(slot)


class TransactionSlot:
    """One transactional producer and the transaction it runs; replaced when it wedges."""

    def __init__(
        self, transactional_id: str, factory: ProducerFactory, abort_timeout_s: float
    ) -> None:
        self.transactional_id = transactional_id
        self._factory = factory
        self._abort_timeout_s = abort_timeout_s
        self._producer: AIOKafkaProducer | None = None
        #: Producers closed after a failure (for tests and the log).
        self.replaced = 0

    async def start(self) -> None:
        """Start the producer (its transactional id is registered before the first batch)."""
        self._producer = await self._factory(self.transactional_id)

    async def stop(self) -> None:
        """Close the producer."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await _close(producer, self._abort_timeout_s)

    async def ping(self) -> None:
        """Raise unless the cluster metadata can be fetched."""
        producer = await self._ready(3)
        async with asyncio.timeout(3):
            await producer.client.fetch_all_metadata()

    async def publish(self, records: Sequence[OutgoingRecord], timeout_s: float) -> None:
        """Begin, send, wait for every ack, commit; abort (or replace the producer) on failure."""
        producer = await self._ready(timeout_s)
        begun = False
        try:
            async with asyncio.timeout(timeout_s):
                await producer.begin_transaction()
                begun = True
                await _send_all(producer, records)
        except (KafkaError, TimeoutError, OSError, PublishError) as exc:
            await self._abandon(producer, begun)
            raise publish_error(exc) from exc
        try:
            async with asyncio.timeout(timeout_s):
                await producer.commit_transaction()
        except (KafkaError, TimeoutError, OSError) as exc:
            await self._replace(producer)
            raise CommitUnknown(f"commit unanswered: {type(exc).__name__}: {exc}") from exc

    async def _ready(self, timeout_s: float) -> AIOKafkaProducer:
        if self._producer is None:
            try:
                async with asyncio.timeout(timeout_s):
                    self._producer = await self._factory(self.transactional_id)
            except (KafkaError, OSError, TimeoutError) as exc:
                raise PublishError(f"{type(exc).__name__}: {exc}") from exc
        return self._producer

    async def _abandon(self, producer: AIOKafkaProducer, begun: bool) -> None:
        """Abort the open transaction (bounded), then replace the producer.

        Replaced even after a clean abort: aiokafka does not reset its sequence numbers after an
        aborted transaction (Kafka's Java client bumps the epoch), so a batch that failed or was
        never sent leaves a gap and the next transaction's first batch to that partition fails
        with ``OutOfOrderSequenceNumber`` (seen after a refused record).
        """
        if not begun:
            return  # nothing sent: the producer is still waiting for its id, and may keep it
        with contextlib.suppress(KafkaError, TimeoutError, OSError, AssertionError):
            # AssertionError: aiokafka's state machine refusing the abort (a fatal state).
            async with asyncio.timeout(self._abort_timeout_s):
                await producer.abort_transaction()
        await self._replace(producer)

    async def _replace(self, producer: AIOKafkaProducer) -> None:
        """Close a producer that cannot end its transaction and start its successor at once:
        registering the same transactional id fences the old one and aborts what it left open."""
        self.replaced += 1
        log.warning("transactional producer replaced", extra={"id": self.transactional_id})
        if self._producer is producer:
            self._producer = None
        await _close(producer, self._abort_timeout_s)
        with contextlib.suppress(KafkaError, OSError, TimeoutError):
            async with asyncio.timeout(self._abort_timeout_s):
                self._producer = await self._factory(self.transactional_id)


async def _register(producer: AIOKafkaProducer) -> None:
    """Wait until the coordinator registered the producer's transactional id (an empty
    transaction: nothing is sent), so the first batch does not pay for it, and a replaced
    producer's open transaction is aborted (fenced) before its successor is used."""
    await producer.begin_transaction()
    await producer.commit_transaction()


async def _send_all(producer: AIOKafkaProducer, records: Sequence[OutgoingRecord]) -> None:
    """Hand every record over in one batch per partition and wait for all acks; raise the most
    telling error: a refusal of the records before any consequence of it."""
    futures = []
    for (topic, partition), group in (await by_partition(producer, records)).items():
        futures += await send_group(producer, topic, partition, group)
    results = await asyncio.gather(*futures, return_exceptions=True)
    errors = [publish_error(r) for r in results if isinstance(r, BaseException)]
    if errors:
        refused = [e for e in errors if isinstance(e, PublishRefused)]
        raise (refused or errors)[0]


async def _close(producer: AIOKafkaProducer, timeout_s: float) -> None:
    """Stop a producer; one that cannot flush in time has its sender cancelled and is dropped."""
    try:
        async with asyncio.timeout(timeout_s):
            await producer.stop()
    except (KafkaError, TimeoutError, OSError):
        # Its undeliverable batches belong to a transaction nobody will commit.
        task = getattr(getattr(producer, "_sender", None), "sender_task", None)
        if task is not None:
            task.cancel()
        with contextlib.suppress(KafkaError, TimeoutError, OSError):
            async with asyncio.timeout(timeout_s):
                await producer.client.close()

"""A batch consumer: manual commits after the work is durable, bounded retries, then the DLQ.

Failures are told apart by kind:

* ``PoisonMessageError`` (undecodable or invalid message): the record goes straight to the
  ``<topic>.dlq`` topic with the error in headers, and the partition moves on.
* transient failures (broker or database unreachable, time-outs): the batch is retried with
  capped exponential backoff for as long as it takes, never dead-lettered, never committed:
  an outage must not turn into lost events.
* anything else: the batch is retried ``max_retries`` times; then each record is retried alone
  and the ones that still fail are dead-lettered, so one bad record cannot block a partition.

Offsets are committed only after the handler returned (its work durable) or the record is
acknowledged in the DLQ.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry, Counter, Gauge

from dunghan_common.events.topics import dlq
from dunghan_common.kafka.producer import KafkaPublisher, OutgoingRecord
from dunghan_common.kafka.security import connection_options
from dunghan_common.settings import KafkaSettings

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]


class PoisonMessageError(Exception):
    """A record that can never be applied (undecodable, invalid): dead-letter it."""


def is_transient(exc: BaseException) -> bool:
    """Return True for failures of infrastructure that a retry may overcome."""
    if isinstance(exc, TimeoutError | ConnectionError | OSError | KafkaConnectionError):
        return True
    name = type(exc).__name__
    module = type(exc).__module__
    if name in {"OperationalError", "InterfaceError", "DBAPIError"} and "sqlalchemy" in module:
        return bool(getattr(exc, "connection_invalidated", False)) or name != "DBAPIError"
    if module.startswith("asyncpg") and ("Connection" in name or "CannotConnect" in name):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)


class ConsumerMetrics:
    """Counters and gauges a consumer keeps, registered once per process registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "dunghan_consumer_records_total",
            "Records consumed, by topic, group and outcome.",
            ["topic", "group", "outcome"],
            registry=registry,
        )
        self.retries = Counter(
            "dunghan_consumer_retries_total",
            "Batch retries, by topic, group and kind of failure.",
            ["topic", "group", "kind"],
            registry=registry,
        )
        self.lag = Gauge(
            "dunghan_consumer_lag_records",
            "Records between the committed position and the end of the partition.",
            ["topic", "group"],
            registry=registry,
        )


class BatchConsumer:
    """Consumes batches and hands them to a handler; commits only what was applied."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: BatchHandler,
        dlq_publisher: KafkaPublisher,
        metrics: ConsumerMetrics,
        max_retries: int | None = None,
    ) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._group = group_id
        self._handler = handler
        self._dlq = dlq_publisher
        self._metrics = metrics
        self._max_retries = settings.consumer_max_retries if max_retries is None else max_retries
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self._lag_measured_at = 0.0

    async def start(self) -> None:
        """Join the group."""
        consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.bootstrap_servers,
            group_id=self._group,
            client_id=f"{self._settings.client_id}-{self._group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self._settings.consumer_max_records,
            fetch_max_bytes=32 * 1_048_576,
            max_partition_fetch_bytes=8 * 1_048_576,
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            fetch_min_bytes=self._settings.consumer_fetch_min_bytes,
            **connection_options(self._settings),
        )
        await consumer.start()
        self._consumer = consumer
        self._zero_series()

    def _zero_series(self) -> None:
        # Export the outcome and retry series at 0 from the start: a counter that first appears
        # at 1 shows no increase() in Prometheus, so the first dead letter would go unnoticed.
        for topic in self._topics:
            for outcome in ("applied", "dead_lettered"):
                self._metrics.records.labels(topic=topic, group=self._group, outcome=outcome)
            for kind in ("transient", "poison", "error"):
                self._metrics.retries.labels(topic=topic, group=self._group, kind=kind)

    async def stop(self) -> None:
        """Leave the group after the batch in hand."""
        self._stopping.set()
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def run(self) -> None:
        """Consume until stopped."""
        consumer = self._require()
        while not self._stopping.is_set():
            batches = await consumer.getmany(
                timeout_ms=500, max_records=self._settings.consumer_max_records
            )
            records = [r for part in batches.values() for r in part]
            if records:
                await self.process(records)
                await self._commit(records)
            await self._update_lag()

    async def process(self, records: Sequence[Record]) -> None:
        """Apply a batch: retry it, then isolate records and dead-letter the ones that fail."""
        failure = await self._try_batch(records)
        if failure is None:
            self._count(records, "applied")
            return
        for record in records:
            error = await self._try_batch([record], retries=1)
            if error is None:
                self._count([record], "applied")
            else:
                await self._dead_letter(record, error)

    async def _try_batch(
        self, records: Sequence[Record], retries: int | None = None
    ) -> Exception | None:
        attempts = self._max_retries if retries is None else retries
        attempt, delay = 0, self._settings.consumer_retry_backoff_s
        while True:
            try:
                await self._handler(records)
                return None
            except PoisonMessageError as exc:
                if len(records) == 1:
                    return exc
                self._retry_metric(records, "poison")
                return exc
            except Exception as exc:
                if is_transient(exc) and not self._stopping.is_set():
                    self._retry_metric(records, "transient")
                    log.warning("transient failure, retrying", extra={"error": repr(exc)})
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                attempt += 1
                self._retry_metric(records, "error")
                if attempt > attempts:
                    log.exception("batch failed after retries", extra={"records": len(records)})
                    return exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _dead_letter(self, record: Record, error: Exception) -> None:
        headers = [
            *(record.headers or []),
            ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_group", self._group.encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        out = OutgoingRecord(dlq(record.topic), record.value or b"", record.key, headers)
        while True:
            try:
                await self._dlq.publish([out])
                break
            except Exception:
                log.exception("dead-letter publish failed, retrying")
                await asyncio.sleep(1)
        self._count([record], "dead_lettered")
        log.error(
            "record dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": type(error).__name__,
            },
        )

    async def _commit(self, records: Sequence[Record]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
        await self._require().commit(offsets)

    async def _update_lag(self) -> None:
        """Every 5 s: the lag of the partitions this member holds, per topic it subscribes to.

        A topic with no partition here (all taken by other members after a rebalance) reads 0,
        so a member's gauge never keeps the lag of partitions it no longer consumes; summed over
        the members, the gauge is the group's lag.
        """
        now = asyncio.get_running_loop().time()
        if now - self._lag_measured_at < 5.0:
            return
        self._lag_measured_at = now
        consumer = self._require()
        try:
            assigned = list(consumer.assignment())
            ends = await consumer.end_offsets(assigned) if assigned else {}
            per_topic = dict.fromkeys(self._topics, 0)
            for tp, end in ends.items():
                position = await consumer.position(tp)
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, end - position)
            for topic, lag in per_topic.items():
                self._metrics.lag.labels(topic=topic, group=self._group).set(lag)
        except Exception:
            log.debug("lag not measured this round")

    def _count(self, records: Sequence[Record], outcome: str) -> None:
        # One labelled increment per topic, not per record: this runs on every consumed batch.
        per_topic: dict[str, int] = {}
        for r in records:
            per_topic[r.topic] = per_topic.get(r.topic, 0) + 1
        for topic, count in per_topic.items():
            self._metrics.records.labels(topic=topic, group=self._group, outcome=outcome).inc(count)

    def _retry_metric(self, records: Sequence[Record], kind: str) -> None:
        topic = records[0].topic if records else "unknown"
        self._metrics.retries.labels(topic=topic, group=self._group, kind=kind).inc()

    def _require(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("consumer not started")
        return self._consumer

"""A batch consumer: manual commits after the work is durable, bounded retries, then the DLQ.

Failures are told apart by kind (`dunghan_common.failures`):

* poison (undecodable or invalid message): the record goes straight to the ``<topic>.dlq``
  topic with the error in headers, and the partition moves on.
* transient (broker or database unreachable, time-outs, and the SQLSTATE classes of a database
  in trouble: connection, resources, transaction rollback, operator intervention, read-only):
  the batch is retried with capped exponential backoff for as long as it takes, never
  dead-lettered, never committed, while the process reports not ready: an outage must not turn
  into lost events.
* anything else: the batch is retried ``max_retries`` times; then each record is retried alone
  and the ones that still fail are dead-lettered (`DeadLetters`: by reference when too large,
  sealed when personal), so one bad record cannot block a partition.

Offsets are committed only after the handler returned (its work durable) or the record is
acknowledged in the DLQ, and only for partitions this member still holds. A commit refused
because a rebalance moved partitions away is expected, never fatal: the effects are idempotent
and the new owner applies the batch again from the last committed offset.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Gauge

from dunghan_common.failures import Failure, PoisonMessageError, classify, is_transient
from dunghan_common.health import Conditions
from dunghan_common.kafka.deadletter import DeadLetterPolicy, DeadLetters, Seal
from dunghan_common.kafka.producer import KafkaPublisher
from dunghan_common.kafka.security import connection_options
from dunghan_common.settings import KafkaSettings

__all__ = ["BatchConsumer", "ConsumerMetrics", "PoisonMessageError", "is_transient"]

log = logging.getLogger(__name__)
#: The longest wait between two attempts at a batch: after an outage of any length the batch is
#: applied at most this long after the database or broker is back.
MAX_BACKOFF_S = 5.0
#: How long a commit waits for a partition's position (known at once, except while it is reset).
POSITION_WAIT_S = 1.0

Record: TypeAlias = ConsumerRecord[bytes, bytes]
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]


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
        self.commits_refused = Counter(
            "dunghan_consumer_commits_refused_total",
            "Offset commits refused (a rebalance moved the partitions away), by group and reason.",
            ["group", "reason"],
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
        conditions: Conditions | None = None,
        sealers: Mapping[str, Seal] | None = None,
    ) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._group = group_id
        self._handler = handler
        self._conditions = conditions or Conditions()
        policy = DeadLetterPolicy(settings.dlq_max_record_bytes, sealers)
        self._dead_letters = DeadLetters(dlq_publisher, group_id, policy, self._conditions)
        self._metrics = metrics
        self._max_retries = settings.consumer_max_retries if max_retries is None else max_retries
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self._lag_measured_at = 0.0
        self._committed: dict[TopicPartition, int] = {}  # what this member last committed

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
            for kind in Failure:
                self._metrics.retries.labels(topic=topic, group=self._group, kind=kind.value)
        self._metrics.commits_refused.labels(group=self._group, reason="revoked")

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
        errors, outage, delay = 0, 0, self._settings.consumer_retry_backoff_s
        while True:
            try:
                await self._handler(records)
                self._end_outage(outage)
                return None
            except Exception as exc:
                kind = classify(exc)
                self._retry_metric(records, kind)
                if kind is not Failure.TRANSIENT:
                    self._end_outage(outage)  # an answer of the record's own: the outage is over
                    outage = 0
                if kind is Failure.POISON:
                    return exc
                if kind is Failure.TRANSIENT:
                    if self._stopping.is_set():
                        raise  # not applied, not committed: consumed again after the restart
                    outage += 1
                    self._in_outage(outage, exc)
                else:
                    errors += 1
                    if errors > attempts:
                        log.exception("batch failed after retries", extra={"records": len(records)})
                        return exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)

    def _in_outage(self, failures: int, exc: Exception) -> None:
        """A transient failure: logged, and from the second in a row the process is not ready."""
        log.warning("transient failure, retrying", extra={"error": repr(exc)[:500]})
        if failures >= 2:
            self._conditions.hold(self._condition, f"retrying an outage: {type(exc).__name__}")

    def _end_outage(self, failures: int) -> None:
        if failures:
            self._conditions.clear(self._condition)
            log.info("outage over", extra={"transient_failures": failures})

    @property
    def _condition(self) -> str:
        return f"consumer {self._group}"

    async def _dead_letter(self, record: Record, error: Exception) -> None:
        await self._dead_letters.send(record, error, self._stopping)
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
        """Commit what was applied on the partitions still held; a refused commit is expected.

        What is committed is the consumer's position on each partition held: the next offset it
        will hand over, so every record below it was in a batch already applied, or is a
        transaction's commit or abort marker, or a record of an aborted transaction, which
        ``read_committed`` skips. Committing the last record's offset + 1 instead would leave a
        partition that ends in a marker (every flush of ingest's does) one short of its end for
        good, and whoever waits for the group to reach the end (sla's timers) would wait for
        ever. A partition is committed when its position moved since the last commit, so an
        idle member commits nothing.

        After a rebalance the partitions a batch came from may belong to another member, which
        applies the records again from the last committed offset (the effects are idempotent),
        so a refused commit loses nothing: it is logged and counted, never raised.
        """
        consumer = self._require()
        held = consumer.assignment()
        applied: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            applied[tp] = max(applied.get(tp, 0), r.offset + 1)
        revoked = [tp for tp in applied if tp not in held]
        if revoked:
            self._refused("revoked", len(revoked))
        offsets: dict[TopicPartition, int] = {}
        for tp in held:
            position = await self._position(consumer, tp)
            offset = max(applied.get(tp, 0), position or 0)
            if offset > self._committed.get(tp, -1):
                offsets[tp] = offset
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:
            self._refused(type(exc).__name__, len(offsets))
            return
        self._committed.update(offsets)

    @staticmethod
    async def _position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int | None:
        """The next offset the consumer hands over on ``tp``; None while it is not known."""
        try:
            return await asyncio.wait_for(consumer.position(tp), POSITION_WAIT_S)
        except (KafkaError, TimeoutError):  # moved away by a rebalance, or not reset yet
            return None

    def _refused(self, reason: str, partitions: int) -> None:
        self._metrics.commits_refused.labels(group=self._group, reason=reason).inc()
        log.warning(
            "offset commit refused; the partitions' owner applies the records again",
            extra={"group": self._group, "reason": reason, "partitions": partitions},
        )

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

    def _retry_metric(self, records: Sequence[Record], kind: Failure) -> None:
        topic = records[0].topic if records else "unknown"
        self._metrics.retries.labels(topic=topic, group=self._group, kind=kind.value).inc()

    def _require(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("consumer not started")
        return self._consumer

"""The broker's view the watermark needs: each partition's beginning and end, and the offsets the
projector group committed. No group is joined: nothing here rebalances the projector."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from dunghan_common.kafka.security import connection_options
from dunghan_common.settings import KafkaSettings

from sla.domain.watermark import PartitionLog

log = logging.getLogger(__name__)


class KafkaLogOffsets:
    """``LogOffsets`` over an admin client (partitions, group commits) and a group-less consumer
    (beginning and end offsets): four small requests, whatever the number of timers."""

    def __init__(self, settings: KafkaSettings, group_id: str, timeout_s: float = 5.0) -> None:
        self._settings = settings
        self._group = group_id
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Connect both clients."""
        servers = self._settings.bootstrap_servers
        client_id = f"{self._settings.client_id}-sla-watermark"
        security = connection_options(self._settings)
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=servers, client_id=client_id, **security
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=servers,
            client_id=client_id,
            enable_auto_commit=False,
            isolation_level="read_committed",  # ends at the last stable offset, as the groups read
            **security,
        )
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        """Close both clients."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def read(self, topic: str) -> dict[int, PartitionLog] | None:
        """Every partition of ``topic``; None when the broker does not answer in time."""
        if self._admin is None or self._consumer is None:
            raise RuntimeError("KafkaLogOffsets.start() first")
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._read(self._admin, self._consumer, topic)
        except (KafkaError, TimeoutError, OSError):
            log.warning("partition offsets unavailable: timers held", exc_info=True)
            return None

    async def _read(
        self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, topic: str
    ) -> dict[int, PartitionLog] | None:
        described = await admin.describe_topics([topic])
        if not described or described[0]["error_code"] != 0:
            return None
        tps = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
        if not tps:
            return None
        if set(consumer.assignment()) != set(tps):
            # Assigned only so the client keeps the topic's leaders; paused at once, in the same
            # step, so it never fetches a record.
            consumer.assign(tps)
            consumer.pause(*tps)
        # The ends after the caller's clock read: whatever was sent before it is below them.
        ends = await consumer.end_offsets(tps)
        beginnings = await consumer.beginning_offsets(tps)
        commits = await admin.list_consumer_group_offsets(self._group, partitions=tps)
        return {
            tp.partition: PartitionLog(
                beginning=beginnings[tp],
                end=ends[tp],
                committed=commits[tp].offset if tp in commits and commits[tp].offset >= 0 else None,
            )
            for tp in tps
        }

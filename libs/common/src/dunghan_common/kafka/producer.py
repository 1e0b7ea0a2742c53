"""An idempotent, acks=all Kafka publisher that reports success only once every record is acked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from dunghan_common.settings import KafkaSettings


@dataclass(frozen=True, slots=True)
class OutgoingRecord:
    """One record to publish."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class PublishError(RuntimeError):
    """Raised when a batch was not acknowledged in full within its time bound."""


class KafkaPublisher:
    """Publishes batches with ``acks=all`` and idempotence; success means all were acked."""

    def __init__(self, settings: KafkaSettings, client_id: str | None = None) -> None:
        self._settings = settings
        self._client_id = client_id or settings.client_id
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect to the cluster (raises if unreachable)."""
        s = self._settings
        producer = AIOKafkaProducer(
            bootstrap_servers=s.bootstrap_servers,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=s.linger_ms,
            max_batch_size=s.max_batch_size,
            compression_type=s.compression_type,
            request_timeout_ms=s.request_timeout_ms,
            max_request_size=8 * 1_048_576,
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        """Flush and close."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, records: Sequence[OutgoingRecord], timeout_s: float = 10.0) -> None:
        """Send every record and wait for all acknowledgements, or raise PublishError."""
        if not records:
            return
        producer = self._require()
        try:
            async with asyncio.timeout(timeout_s):
                futures = [
                    await producer.send(r.topic, r.value, key=r.key, headers=r.headers)
                    for r in records
                ]
                await asyncio.gather(*futures)
        except (KafkaError, TimeoutError, OSError) as exc:
            raise PublishError(f"{type(exc).__name__}: {exc}") from exc

    async def ping(self) -> None:
        """Raise unless the cluster metadata can be fetched (readiness)."""
        producer = self._require()
        async with asyncio.timeout(3):
            await producer.client.fetch_all_metadata()

    def _require(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise PublishError("publisher not started")
        return self._producer

"""A publisher whose idempotent producer lost its sequence state replaces it and recovers."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber, RequestTimedOutError
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord, PublishError
from dunghan_common.settings import KafkaSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _Producer:
    """Stands in for AIOKafkaProducer: fails every send with one error, or acks."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.stopped = False
        self.sent: list[bytes] = []

    async def send(self, topic: str, value: bytes, key=None, headers=None):
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.error is not None:
            future.set_exception(self.error)
        else:
            self.sent.append(value)
            future.set_result(None)
        return future

    async def stop(self) -> None:
        self.stopped = True


def _publisher(errors: list[Exception | None]) -> tuple[KafkaPublisher, list[_Producer]]:
    made: list[_Producer] = []
    publisher = KafkaPublisher(KafkaSettings())

    async def new_producer() -> _Producer:
        made.append(_Producer(errors[len(made)]))
        return made[-1]

    publisher._new_producer = new_producer  # type: ignore[method-assign]
    return publisher, made


async def test_a_broken_sequence_replaces_the_producer_and_the_retry_goes_through():
    publisher, made = _publisher([OutOfOrderSequenceNumber(), None])
    await publisher.start()
    record = OutgoingRecord("t", b"v", b"k")
    with pytest.raises(PublishError, match="OutOfOrderSequenceNumber"):
        await publisher.publish([record])
    assert made[0].stopped
    assert len(made) == 2
    await publisher.publish([record])
    assert made[1].sent == [b"v"]


async def test_a_passing_error_keeps_the_producer():
    publisher, made = _publisher([RequestTimedOutError(), None])
    await publisher.start()
    with pytest.raises(PublishError):
        await publisher.publish([OutgoingRecord("t", b"v", b"k")])
    assert len(made) == 1
    assert not made[0].stopped

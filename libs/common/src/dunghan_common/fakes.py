"""Fakes of the shared library's ports, for unit tests: they keep what they were given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from dunghan_common.clock import FakeClock
from dunghan_common.kafka.producer import OutgoingRecord, PublishError


class Publisher(Protocol):
    """What use-cases need of a publisher: all-or-nothing batches and a readiness ping."""

    async def publish(self, records: Sequence[OutgoingRecord], timeout_s: float = 10.0) -> None:
        """Publish every record or raise PublishError."""
        ...

    async def ping(self) -> None:
        """Raise unless the broker is reachable."""
        ...


class FakePublisher:
    """Keeps published records in memory; can be told to fail like an unreachable broker."""

    def __init__(self) -> None:
        self.records: list[OutgoingRecord] = []
        self.down = False

    async def publish(self, records: Sequence[OutgoingRecord], timeout_s: float = 10.0) -> None:
        """Record the batch, or raise PublishError while ``down``."""
        if self.down:
            raise PublishError("fake broker down")
        self.records.extend(records)

    async def ping(self) -> None:
        """Raise while ``down``."""
        if self.down:
            raise PublishError("fake broker down")

    def on(self, topic: str) -> list[OutgoingRecord]:
        """The records published to one topic."""
        return [r for r in self.records if r.topic == topic]


__all__ = ["FakeClock", "FakePublisher", "Publisher"]

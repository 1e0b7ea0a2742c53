"""Ports of ingest: the ledger of accepted events, its unit of work, the publisher, the clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, Self

from dunghan_common.clock import Clock
from dunghan_common.events import CloudEvent

Pair = tuple[str, str]
"""An event's identity: ``(source, id)``."""


class AcceptedRepository(Protocol):
    """The ``(source, id)`` pairs Kafka acknowledged, kept for the duplicate retention."""

    async def existing(self, pairs: Sequence[Pair]) -> set[Pair]:
        """The ``(source, id)`` pairs among ``pairs`` accepted before (one round trip)."""
        ...

    async def add(self, pairs: Sequence[Pair], at: datetime) -> None:
        """Record pairs as accepted at ``at``; pairs recorded before are left alone."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget pairs accepted before ``before``; return how many."""
        ...


class IngestUnitOfWork(Protocol):
    """One transaction over the ledger; rolled back unless committed."""

    @property
    def accepted(self) -> AcceptedRepository:
        """The ledger, on this unit of work's connection."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None:
        """Make the work durable."""
        ...


UnitOfWorkFactory = Callable[[], IngestUnitOfWork]


class PublishFailed(RuntimeError):
    """Kafka did not acknowledge every record within the bounded time."""


class EventPublisher(Protocol):
    """Publishes validated events (and their split-off contacts) and waits for every ack."""

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        """Return once all are acknowledged; raise `PublishFailed` otherwise."""
        ...


__all__ = [
    "AcceptedRepository",
    "Clock",
    "EventPublisher",
    "IngestUnitOfWork",
    "Pair",
    "PublishFailed",
    "UnitOfWorkFactory",
]

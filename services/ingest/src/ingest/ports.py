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

    async def claim(self, pairs: Sequence[Pair], at: datetime) -> set[Pair]:
        """Record the pairs not recorded before, in one statement; return the others (taken).

        Nearly always nothing is taken, so the answer is the exception, not the 1,000 pairs.

        Claimed pairs stay invisible and locked until the unit of work ends: a concurrent claim
        of the same pair waits, then finds it taken (committed) or takes it (rolled back).
        """
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


class LedgerUnavailable(RuntimeError):
    """The database of the duplicate ledger did not answer (the API answers 503)."""


class PublishFailed(RuntimeError):
    """Kafka did not acknowledge every record within the bounded time: nothing was published.

    ``maybe_published``: every record was acknowledged and the commit of their transaction sent,
    but its answer never came; the coordinator may have committed it (docs/contract.md §1).
    """

    def __init__(self, message: str, maybe_published: bool = False) -> None:
        super().__init__(message)
        self.maybe_published = maybe_published


class RecordsRefused(PublishFailed):
    """Kafka refused the records themselves (retrying them fails the same way): ``too_large``
    when refused for their size, else for their content."""

    def __init__(self, message: str, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


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
    "LedgerUnavailable",
    "Pair",
    "PublishFailed",
    "RecordsRefused",
    "UnitOfWorkFactory",
]

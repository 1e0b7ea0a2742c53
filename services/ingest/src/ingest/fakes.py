"""In-memory fakes of ingest's ports, for unit tests (same protocols as the real adapters)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Self

from dunghan_common.events import CloudEvent, DossierContact

from ingest.ports import Pair, PublishFailed, RecordsRefused


class FakeAcceptedRepository:
    """The ledger as a dict; changes become visible to others only on commit."""

    def __init__(self) -> None:
        self.committed: dict[tuple[str, str], datetime] = {}
        self.pending: dict[tuple[str, str], datetime] = {}
        self.claims = 0

    async def claim(self, pairs: Sequence[Pair], at: datetime) -> set[Pair]:
        """Stage the pairs neither committed nor staged; return the others."""
        self.claims += 1
        taken = {p for p in pairs if p in self.committed or p in self.pending}
        for p in pairs:
            if p not in taken:
                self.pending[p] = at
        return taken

    async def prune(self, before: datetime) -> int:
        """Stage the removal of old pairs (applied at once: the fake has no isolation here)."""
        old = [k for k, at in self.committed.items() if at < before]
        for k in old:
            del self.committed[k]
        return len(old)


class FakeIngestUnitOfWork:
    """A unit of work over one shared `FakeAcceptedRepository`."""

    def __init__(self, accepted: FakeAcceptedRepository) -> None:
        self.accepted = accepted

    async def __aenter__(self) -> Self:
        self.accepted.pending.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.accepted.pending.clear()

    async def commit(self) -> None:
        """Make the staged pairs visible."""
        for k, at in self.accepted.pending.items():
            self.accepted.committed.setdefault(k, at)
        self.accepted.pending.clear()


class FakeEventPublisher:
    """Records published events; ``failing`` makes the next publishes raise `PublishFailed`;
    a publish carrying an id of ``refused`` raises `RecordsRefused` and publishes nothing (as an
    aborted transaction)."""

    def __init__(self) -> None:
        self.published: list[CloudEvent] = []
        self.calls = 0
        self.failing = False
        self.refused: set[str] = set()
        self.hold: asyncio.Event | None = None

    async def publish(
        self, events: Sequence[CloudEvent], contacts: Sequence[DossierContact] = ()
    ) -> None:
        """Record the events, or fail like an unreachable broker or a refusing one."""
        self.calls += 1
        if self.hold is not None:  # a slow broker: the publish waits until the test lets it go
            await self.hold.wait()
        if self.failing:
            raise PublishFailed("broker unavailable (fake)")
        bad = [e.id for e in events if e.id in self.refused]
        if bad:
            raise RecordsRefused(f"MessageSizeTooLargeError (fake): {bad[0]}", too_large=True)
        self.published.extend(events)

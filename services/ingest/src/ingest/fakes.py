"""In-memory fakes of ingest's ports, for unit tests (same protocols as the real adapters)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import orjson
from dunghan_common.events import CloudEvent, Contact, split_contacts

from ingest.domain.dvcqg_translate import Held, Limit
from ingest.dvcqg_usecases import SyncDvcqg
from ingest.ports import Clock, Pair, PublishFailed, RecordsRefused


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
        self.contacts: list[Contact] = []
        self.calls = 0
        self.failing = False
        self.refused: set[str] = set()
        self.hold: asyncio.Event | None = None

    async def publish(self, events: Sequence[CloudEvent], contacts: Sequence[Contact] = ()) -> None:
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
        # The contact records `KafkaEventPublisher` writes: those the events carry, then these.
        self.contacts += [c for e in events for c in split_contacts(e)[1]]
        self.contacts.extend(contacts)


class FakeSnapshotStore:
    """The portal format's held states, aliases and records as dicts (`SnapshotStore`); writes
    are staged and become visible when the unit of work commits."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], dict[str, Any]] = {}
        self.aliased: dict[tuple[str, str], str] = {}
        self.records: list[tuple[str, str, str]] = []
        self.staged: list[Callable[[], None]] = []

    async def aliases(self, source: str, codes: Sequence[str]) -> dict[str, str]:
        """The canonical code of each code that is a known alias."""
        return {c: self.aliased[source, c] for c in codes if (source, c) in self.aliased}

    async def lock_and_read(self, source: str, codes: Sequence[str]) -> dict[str, Held]:
        """What is held of the codes, from its stored form (as the database returns it)."""
        return {c: Held.from_json(self.held[source, c]) for c in codes if (source, c) in self.held}

    async def save(self, source: str, held: Sequence[Held], at: datetime) -> None:
        """Stage the stored form of each state."""
        rows = {(source, h.code): orjson.loads(orjson.dumps(h.to_json())) for h in held}
        self.staged.append(lambda: self.held.update(rows))

    async def alias(self, source: str, pairs: Sequence[tuple[str, str]], at: datetime) -> None:
        """Stage ``(alias, canonical code)`` pairs; a known alias keeps its code."""
        new = [((source, alias), code) for alias, code in pairs]

        def apply() -> None:
            for key, code in new:
                self.aliased.setdefault(key, code)

        self.staged.append(apply)

    async def record(self, source: str, rows: Sequence[tuple[str, str]], at: datetime) -> None:
        """Stage ``(code, kind)`` facts."""
        facts = [(source, code, kind) for code, kind in rows]
        self.staged.append(lambda: self.records.extend(facts))


class FakeDvcqgUnitOfWork(FakeIngestUnitOfWork):
    """The ledger and the snapshot store in one transaction (one request at a time)."""

    def __init__(self, accepted: FakeAcceptedRepository, snapshots: FakeSnapshotStore) -> None:
        super().__init__(accepted)
        self.snapshots = snapshots

    async def __aenter__(self) -> Self:
        self.snapshots.staged.clear()
        return await super().__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        self.snapshots.staged.clear()
        await super().__aexit__(*exc)

    async def commit(self) -> None:
        """Make the staged pairs and snapshot writes visible."""
        for apply in self.snapshots.staged:
            apply()
        self.snapshots.staged.clear()
        await super().commit()


@dataclass
class InMemoryPortal:
    """`SyncDvcqg` on the in-memory ledger and snapshot store, with what it wrote to read back."""

    sync: SyncDvcqg
    store: FakeSnapshotStore
    publisher: FakeEventPublisher


def in_memory_portal(
    clock: Clock,
    procedure_limit: Callable[[str], Limit | None],
    unit_by_name: Callable[[str], str | None],
    pseudonym_key: bytes = b"k",
) -> InMemoryPortal:
    """The portal format's use case as the service wires it, on fakes."""
    store, ledger, publisher = FakeSnapshotStore(), FakeAcceptedRepository(), FakeEventPublisher()
    sync = SyncDvcqg(
        lambda: FakeDvcqgUnitOfWork(ledger, store),
        publisher,
        clock,
        procedure_limit,
        unit_by_name,
        pseudonym_key,
    )
    return InMemoryPortal(sync, store, publisher)

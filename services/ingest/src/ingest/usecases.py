"""Use-cases of ingest: accept validated batches exactly once per ``(source, id)``; prune.

Concurrent requests are accepted together (group commit): up to ``max_flushes`` flushes run at
once; the requests arriving while they wait for Kafka queue up and the next flush takes them all,
with one ledger statement (claim), one publish call and one commit for the lot. Nothing waits on a
timer, so a lone request goes out at once; under load the per-request round trips are shared.

A flush is one Kafka transaction. When Kafka refuses a record of it (too large, invalid), the
whole transaction is aborted, and the flush is done again one request at a time: the request
whose record was refused fails alone (413 or 422), the others are accepted.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from dunghan_common.events import CloudEvent

from ingest.domain.outcome import IngestResult, count_types, first_of_each_id
from ingest.ports import Clock, EventPublisher, Pair, RecordsRefused, UnitOfWorkFactory


@dataclass
class _Pending:
    """One request waiting for its flush."""

    source: str
    events: list[CloudEvent]
    repeated: int
    types: Counter[str]
    done: asyncio.Future[IngestResult]
    fresh: list[CloudEvent] = field(default_factory=list)


class IngestEvents:
    """Claim the pairs not accepted before, publish their events, commit the claim after the acks.

    The claim becomes visible only on commit, after Kafka acknowledged, so a failed publish leaves
    nothing marked and the sender's retry publishes again. Two identical requests racing (in two
    replicas or two flushes) do not both publish: the second claim waits on the first's row locks
    and finds the pairs taken. Within one flush (and one request) the first request carrying a pair
    gets it. Only a commit failing after the acks can publish twice (the sender's retry);
    consumers are idempotent by ``(source, id)`` (docs/contract.md §2).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publisher: EventPublisher,
        clock: Clock,
        flush_max_events: int = 10_000,
        max_flushes: int = 4,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._clock = clock
        self._flush_max = flush_max_events
        self._max_flushes = max_flushes
        self._queue: list[_Pending] = []
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def execute(self, source: str, events: Sequence[CloudEvent]) -> IngestResult:
        """Accept a batch of valid events from ``source``; raise `PublishFailed` if Kafka fails."""
        unique, repeated = first_of_each_id(events)
        done: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(source, unique, repeated, count_types(events), done))
        self._kick()
        return await asyncio.shield(done)

    def _kick(self) -> None:
        """Start flushes for the queued requests, up to ``max_flushes`` at a time."""
        while self._queue and self._running < self._max_flushes:
            self._running += 1
            task = asyncio.create_task(self._run(self._take()))
            self._tasks.add(task)  # a strong reference until it ends
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            await self._settle(batch)
        finally:
            self._running -= 1
            self._kick()

    async def _settle(self, batch: list[_Pending]) -> None:
        """Flush the batch; when Kafka refused records of it, flush each request alone, so only
        the request carrying them fails (each flush is one transaction: a refusal sinks it)."""
        try:
            await self._flush(batch)
        except RecordsRefused as exc:
            if len(batch) == 1:
                _fail(batch, exc)
                return
            for p in batch:
                p.fresh = []
                await self._settle([p])
        except Exception as exc:  # handed to every request of the flush, which answers 503
            _fail(batch, exc)

    def _take(self) -> list[_Pending]:
        """The queued requests up to the flush size (always at least one)."""
        taken, size = 0, 0
        for p in self._queue:
            if taken and size + len(p.events) > self._flush_max:
                break
            taken, size = taken + 1, size + len(p.events)
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        return batch

    async def _flush(self, batch: list[_Pending]) -> None:
        # One transaction for the whole flush: claim, publish, commit only after every ack.
        async with self._uow() as uow:
            wanted = _wanted(batch)
            taken = await uow.accepted.claim(wanted, self._clock.now())
            fresh = _assign(batch, taken, len(wanted))
            if fresh:
                await self._publisher.publish(fresh)
                await uow.commit()
        for p in batch:
            if not p.done.done():
                p.done.set_result(_result(p))


def _fail(batch: list[_Pending], exc: Exception) -> None:
    for p in batch:
        if not p.done.done():
            p.done.set_exception(exc)


def _wanted(batch: list[_Pending]) -> list[Pair]:
    """The flush's pairs, each once, in order (a request's ids are already unique)."""
    if len(batch) == 1:
        p = batch[0]
        return [(p.source, e.id) for e in p.events]
    return list(dict.fromkeys((p.source, e.id) for p in batch for e in p.events))


def _assign(batch: list[_Pending], taken: set[Pair], wanted: int) -> list[CloudEvent]:
    """Give each pair claimed by the flush to the first request of the flush that carries it."""
    if not taken and wanted == sum(len(p.events) for p in batch):
        for p in batch:  # the usual case: no pair taken before, none repeated across requests
            p.fresh = p.events
        return [e for p in batch for e in p.events]
    left = taken.copy()
    for p in batch:
        for e in p.events:
            if (p.source, e.id) not in left:
                left.add((p.source, e.id))
                p.fresh.append(e)
    return [e for p in batch for e in p.fresh]


def _result(p: _Pending) -> IngestResult:
    accepted_types = p.types if p.fresh is p.events and not p.repeated else count_types(p.fresh)
    return IngestResult(
        accepted=len(p.fresh),
        duplicates=p.repeated + len(p.events) - len(p.fresh),
        accepted_types=accepted_types,
        duplicate_types=p.types - accepted_types,
    )


class PruneAccepted:
    """Forget accepted pairs older than the duplicate retention."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, retention: timedelta) -> None:
        self._uow = uow
        self._clock = clock
        self._retention = retention

    async def execute(self) -> int:
        """Delete expired pairs; return how many."""
        async with self._uow() as uow:
            removed = await uow.accepted.prune(self._clock.now() - self._retention)
            await uow.commit()
        return removed

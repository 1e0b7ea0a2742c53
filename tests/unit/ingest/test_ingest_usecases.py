"""IngestEvents with fakes: duplicates within and across requests, nothing marked on failure."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.events import EXAMPLES, parse_event
from ingest.fakes import FakeAcceptedRepository, FakeEventPublisher, FakeIngestUnitOfWork
from ingest.ports import PublishFailed, RecordsRefused
from ingest.usecases import IngestEvents, PruneAccepted

pytestmark = pytest.mark.asyncio(loop_scope="session")
T0 = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)


def event(kind: str = "dossier.submitted"):
    raw = copy.deepcopy(EXAMPLES[kind])
    raw["id"] = str(uuid.uuid4())
    return parse_event(raw)


def wire(max_flushes: int = 1):
    repo, publisher, clock = FakeAcceptedRepository(), FakeEventPublisher(), FakeClock(T0)
    usecase = IngestEvents(
        lambda: FakeIngestUnitOfWork(repo), publisher, clock, max_flushes=max_flushes
    )
    return usecase, repo, publisher


async def test_repeats_within_a_request_count_once() -> None:
    usecase, repo, publisher = wire()
    a, b = event(), event()
    result = await usecase.execute("s", [a, b, a, a])
    assert (result.accepted, result.duplicates) == (2, 2)
    assert [e.id for e in publisher.published] == [a.id, b.id]
    assert repo.claims == 1


async def test_accepted_before_is_a_duplicate_and_not_published_again() -> None:
    usecase, _, publisher = wire()
    a, b = event(), event()
    await usecase.execute("s", [a])
    result = await usecase.execute("s", [a, b])
    assert (result.accepted, result.duplicates) == (1, 1)
    assert [e.id for e in publisher.published] == [a.id, b.id]
    assert result.duplicate_types == {"dossier.submitted": 1}


async def test_same_id_from_another_source_is_not_a_duplicate() -> None:
    usecase, _, _ = wire()
    a = event()
    await usecase.execute("s1", [a])
    assert (await usecase.execute("s2", [a])).accepted == 1


async def test_failed_publish_marks_nothing_so_the_retry_publishes() -> None:
    usecase, repo, publisher = wire()
    a = event()
    publisher.failing = True
    with pytest.raises(PublishFailed):
        await usecase.execute("s", [a])
    assert repo.committed == {}
    publisher.failing = False
    assert (await usecase.execute("s", [a])).accepted == 1


async def test_all_duplicates_skip_the_publisher() -> None:
    usecase, _, publisher = wire()
    a = event()
    await usecase.execute("s", [a])
    await usecase.execute("s", [a])
    assert publisher.calls == 1


async def test_prune_forgets_pairs_past_the_retention() -> None:
    repo = FakeAcceptedRepository()
    repo.committed = {("s", "old"): T0 - timedelta(days=8), ("s", "new"): T0 - timedelta(days=6)}
    prune = PruneAccepted(lambda: FakeIngestUnitOfWork(repo), FakeClock(T0), timedelta(days=7))
    assert await prune.execute() == 1
    assert set(repo.committed) == {("s", "new")}


async def test_concurrent_requests_share_one_publish_and_the_first_claim_wins() -> None:
    import asyncio

    usecase, repo, publisher = wire()
    publisher.hold = asyncio.Event()
    a, b, c = event(), event(), event()
    first = asyncio.ensure_future(usecase.execute("s", [a]))
    later = [
        asyncio.ensure_future(usecase.execute(source, batch))
        for source, batch in (("s", [b, c]), ("s", [c]), ("t", [c]))
    ]
    await asyncio.sleep(0.01)  # the first flush now waits for Kafka; the others queue behind it
    publisher.hold.set()
    await first
    results = await asyncio.gather(*later)
    assert [(r.accepted, r.duplicates) for r in results] == [(2, 0), (0, 1), (1, 0)]
    assert publisher.calls == 2
    assert repo.claims == 2


async def test_a_failed_flush_fails_every_request_in_it() -> None:
    import asyncio

    usecase, repo, publisher = wire()
    publisher.failing = True
    outcomes = await asyncio.gather(
        usecase.execute("s", [event()]), usecase.execute("s", [event()]), return_exceptions=True
    )
    assert all(isinstance(o, PublishFailed) for o in outcomes)
    assert repo.committed == {}


async def test_flushes_run_side_by_side_up_to_the_limit() -> None:
    import asyncio

    usecase, _, publisher = wire(max_flushes=2)
    publisher.hold = asyncio.Event()
    requests = [asyncio.ensure_future(usecase.execute("s", [event()])) for _ in range(5)]
    await asyncio.sleep(0.01)
    publisher.hold.set()
    results = await asyncio.gather(*requests)
    assert all(r.accepted == 1 for r in results)
    # Two flushes start at once with one request each; the other three share the next flush.
    assert publisher.calls == 3


async def test_a_refused_record_fails_its_own_request_and_not_the_others_of_its_flush() -> None:
    import asyncio

    usecase, repo, publisher = wire()
    publisher.hold = asyncio.Event()
    bad, good, also_good = event(), event(), event()
    publisher.refused = {bad.id}
    blocker = asyncio.ensure_future(usecase.execute("s", [event()]))
    queued = [
        asyncio.ensure_future(usecase.execute("s", [also_good, bad])),
        asyncio.ensure_future(usecase.execute("t", [good])),
    ]
    await asyncio.sleep(0.01)  # both queue behind the blocker: one flush for the two
    publisher.hold.set()
    await blocker
    refused, accepted = await asyncio.gather(*queued, return_exceptions=True)
    assert isinstance(refused, RecordsRefused)
    assert refused.too_large
    assert not isinstance(accepted, BaseException)
    assert (accepted.accepted, accepted.duplicates) == (1, 0)
    # The joint flush was refused whole, then each request went alone: 1 + 1 + 2 calls.
    assert publisher.calls == 4
    assert [e.id for e in publisher.published[1:]] == [good.id]
    assert ("t", good.id) in repo.committed
    assert ("s", also_good.id) not in repo.committed
    assert ("s", bad.id) not in repo.committed


async def test_a_lone_refused_request_is_answered_with_the_refusal() -> None:
    usecase, repo, publisher = wire()
    bad = event()
    publisher.refused = {bad.id}
    with pytest.raises(RecordsRefused):
        await usecase.execute("s", [bad])
    assert publisher.calls == 1
    assert repo.committed == {}


async def test_kafka_refusals_map_to_413_422_and_503() -> None:
    from ingest.adapters.gate import kafka_refusal

    too_large = kafka_refusal(RecordsRefused("MessageSizeTooLarge", too_large=True), 5)
    invalid = kafka_refusal(RecordsRefused("InvalidTimestamp", too_large=False), 5)
    down = kafka_refusal(PublishFailed("KafkaTimeoutError"), 5)
    unknown = kafka_refusal(PublishFailed("commit unanswered", maybe_published=True), 5)
    assert (too_large.status, invalid.status, down.status, unknown.status) == (413, 422, 503, 503)
    assert too_large.headers == {}  # the same request fails the same way: no Retry-After
    assert "MessageSizeTooLarge" in too_large.body["detail"]
    assert down.headers == {"Retry-After": "5"}
    assert "nothing was accepted" in down.body["detail"]
    assert "may have been accepted" in unknown.body["detail"]

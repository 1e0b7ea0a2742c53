"""A 503 accepts nothing, for real: requests stream into ingest while its broker stops answering
(paused past the publish deadline) and then goes down and comes back. Two consumer groups read
``dossier-events`` (read_committed, as every service) throughout; at the end no event of a request
answered 503 was seen by either, and every event of a request answered 202 was seen exactly once
by each. The counts go to stdout for RELIABILITY.md.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
import pytest
from dunghan_common.events import EXAMPLES
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics, Record
from dunghan_common.settings import KafkaSettings
from prometheus_client import CollectorRegistry

from tests.faults.conftest import PrivateStack
from tests.integration.ingest.conftest import (
    Factory,
    RunningIngest,
    ingest_factory,  # noqa: F401 - the fixture
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

DEADLINE_S = 1.5
SENDERS = 4
EVENTS_PER_REQUEST = 5
GROUPS = ("faults-sla-like", "faults-audit-like")


@dataclass
class Answers:
    """Each request's event ids by how it was answered."""

    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # 503: nothing accepted
    unknown: list[str] = field(default_factory=list)  # 503 after an unanswered commit
    requests: Counter[str] = field(default_factory=Counter)

    def record(self, ids: list[str], response: httpx.Response) -> None:
        if response.status_code == 202:
            self.accepted += ids
            self.requests["202"] += 1
        elif response.status_code == 503 and "may have been" in response.text:
            self.unknown += ids
            self.requests["503 commit unanswered"] += 1
        elif response.status_code == 503:
            self.refused += ids
            self.requests["503"] += 1
        else:
            raise AssertionError(f"unexpected answer {response.status_code}: {response.text}")


class Seen:
    """A consumer group's handler: every event id it was handed, with repeats."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()

    async def __call__(self, records: Sequence[Record]) -> None:
        for r in records:
            self.ids[dict(r.headers)["ce_id"].decode()] += 1


def _request() -> tuple[list[str], list[dict[str, object]]]:
    events = []
    for _ in range(EVENTS_PER_REQUEST):
        raw = copy.deepcopy(EXAMPLES["dossier.submitted"])
        raw["id"] = str(uuid.uuid4())
        raw["subject"] = f"000.00.12.H50-250801-{uuid.uuid4().int % 10_000:04d}"
        events.append(raw)
    return [str(e["id"]) for e in events], events


async def _stream(app: RunningIngest, answers: Answers, stop: asyncio.Event) -> None:
    """``SENDERS`` senders posting requests one after another until told to stop."""

    async def sender() -> None:
        while not stop.is_set():
            ids, events = _request()
            answers.record(ids, await app.post(events))
            await asyncio.sleep(0.02)

    await asyncio.gather(*(sender() for _ in range(SENDERS)))


async def _phase(app: RunningIngest, answers: Answers, fault, settle_s: float = 2.0) -> None:
    """Stream, apply the fault while streaming, stream on for ``settle_s`` after it."""
    stop = asyncio.Event()
    streaming = asyncio.create_task(_stream(app, answers, stop))
    await asyncio.sleep(1.0)
    try:
        await fault()
        await asyncio.sleep(settle_s)
    finally:
        stop.set()
        await streaming


def _kafka_pid(stack: PrivateStack) -> int:
    return int((stack.directory / "kafka" / "kafka.pid").read_text())


async def test_a_503_is_never_seen_by_any_consumer_group(
    ingest_factory: Factory,  # noqa: F811 - the imported fixture
    private_stack: PrivateStack,
) -> None:
    app = await ingest_factory(
        bootstrap=private_stack.bootstrap, publish_timeout_s=DEADLINE_S, retry_after_s=1
    )
    settings = KafkaSettings(bootstrap_servers=private_stack.bootstrap)
    dlq = KafkaPublisher(settings)
    await dlq.start()
    seen = {group: Seen() for group in GROUPS}
    consumers = [
        BatchConsumer(
            settings, [app.events_topic], g, seen[g], dlq, ConsumerMetrics(CollectorRegistry())
        )
        for g in GROUPS
    ]
    for consumer in consumers:
        await consumer.start()
    reading = [asyncio.create_task(c.run()) for c in consumers]
    answers = {"paused": Answers(), "down": Answers()}
    try:

        async def pause() -> None:  # acks held past the deadline, then released
            pid = _kafka_pid(private_stack)
            os.kill(pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(2 * DEADLINE_S + 1)
            finally:
                os.kill(pid, signal.SIGCONT)

        async def restart() -> None:
            await private_stack.run("kafka-down")
            await asyncio.sleep(1)
            await private_stack.run("kafka-up")

        await _phase(app, answers["paused"], pause)
        await _phase(app, answers["down"], restart, settle_s=4.0)
        accepted = {i for a in answers.values() for i in a.accepted}
        async with asyncio.timeout(60):
            while not all(accepted <= s.ids.keys() for s in seen.values()):
                await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # anything that would still arrive late
    finally:
        for consumer in consumers:
            await consumer.stop()
        await asyncio.gather(*reading, return_exceptions=True)
        await dlq.stop()

    for name, a in answers.items():
        print(f"{name}: requests {dict(a.requests)}")
        assert a.requests["503"] > 0, f"{name}: the fault answered no request 503"
        assert a.requests["202"] > 0
    refused = {i for a in answers.values() for i in a.refused}
    for group, s in seen.items():
        leaked = refused & s.ids.keys()
        repeated = {i for i in accepted if s.ids[i] != 1}
        print(f"{group}: saw {len(s.ids)} events; 503 seen {len(leaked)}; 202 not once {repeated}")
        assert not leaked, f"{group} saw events of requests answered 503"
        assert not repeated, f"{group} saw events of requests answered 202 other than once"

"""The dead-letter replay against the real broker: every kind of dead letter of the group, once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer
from dunghan_common.kafka.consumer import Record
from dunghan_common.kafka.replay import replay_dead_letters
from dunghan_common.settings import KafkaSettings

from tests import support

pytestmark = pytest.mark.asyncio(loop_scope="session")


def origin(group: str, offset: int, **more: bytes) -> list[tuple[str, bytes]]:
    """The headers a dead letter of ``group`` carries for the record at ``offset``."""
    headers = [
        ("dlq_group", group.encode()),
        ("dlq_partition", b"0"),
        ("dlq_offset", str(offset).encode()),
        ("dlq_error", b"DeadlockDetectedError: deadlock detected"),
    ]
    return headers + list(more.items())


async def test_replay_reads_every_dead_letter_of_its_group_from_the_start() -> None:
    """Copies, sealed copies and references are restored and handed over once; another group's
    dead letters and tombstones are left alone; a reference to a record gone is reported."""
    topic = support.unique("replay")
    await support.create_topics([topic], partitions=1)
    await support.create_topics([f"{topic}.dlq"], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=support.kafka_bootstrap(), acks="all")
    await producer.start()
    try:
        original = await producer.send_and_wait(topic, b"by-reference", key=b"k2")
        dlq = f"{topic}.dlq"
        await producer.send_and_wait(
            dlq, b"copy", key=b"k1", headers=[("ce_type", b"x"), *origin("g", 7)]
        )
        sealed = b"SEALED:" + b'{"value":"c2VhbGVk","headers":[["ce_type","eQ=="]]}'
        sealed_headers = origin("g", 8, dlq_sealed=b"1")
        await producer.send_and_wait(dlq, sealed, key=b"k3", headers=sealed_headers)
        await producer.send_and_wait(
            dlq, b"", key=b"k2", headers=origin("g", original.offset, dlq_reference=b"1")
        )
        await producer.send_and_wait(dlq, b"other", key=b"k4", headers=origin("other", 9))
        await producer.send_and_wait(dlq, None, key=b"k5", headers=origin("g", 10))
        await producer.send_and_wait(
            dlq, b"", key=b"k6", headers=origin("g", 999, dlq_reference=b"1")
        )
    finally:
        await producer.stop()

    applied: list[Record] = []

    async def handler(records: Sequence[Record]) -> None:
        applied.extend(records)

    report = await replay_dead_letters(
        KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
        [topic],
        "g",
        handler,
        openers={topic: lambda sealed: sealed.removeprefix(b"SEALED:")},
    )

    assert report.dead_letters == {topic: 4}
    assert report.applied == {topic: 3}
    assert [(r.key, r.value) for r in applied] == [
        (b"k1", b"copy"),
        (b"k3", b"sealed"),
        (b"k2", b"by-reference"),
    ]
    assert applied[0].headers == (("ce_type", b"x"),)
    assert applied[1].headers == (("ce_type", b"y"),)
    assert (applied[0].offset, applied[2].offset) == (7, original.offset)
    [failed] = report.failed
    assert failed["offset"] == "999"
    assert "LookupError" in str(failed["error"])
    assert not report.ok
    await support.delete_topics([topic, f"{topic}.dlq"])

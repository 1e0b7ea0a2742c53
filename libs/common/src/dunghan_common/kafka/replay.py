"""Re-applying dead letters after a fix: ``python -m <service> replay-dead-letters``.

Reads each consumed topic's ``<topic>.dlq`` from its start to its end at the time of the call,
keeps the dead letters of the service's consumer group, turns each back into the record it was
(the copy, the sealed copy opened with the service's key, or the record a reference points at on
its topic) and hands it to the same batch handler the consumer uses, one record at a time. The
handlers are idempotent, so replaying twice, or replaying a record that was meanwhile applied,
changes nothing; dead letters stay on their topic (their retention removes them). A record that
fails again is reported with its error and left for the next fix.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from dunghan_common.events.topics import dlq
from dunghan_common.kafka.deadletter import unpack
from dunghan_common.settings import KafkaSettings

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]
Open = Callable[[bytes], bytes]


@dataclass
class ReplayReport:
    """What a replay did, per source topic."""

    dead_letters: dict[str, int] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every dead letter of the group was applied."""
        return not self.failed


async def replay_dead_letters(
    settings: KafkaSettings,
    topics: Sequence[str],
    group: str,
    handler: BatchHandler,
    openers: Mapping[str, Open] | None = None,
) -> ReplayReport:
    """Re-apply the group's dead letters of ``topics``; see the module doc."""
    report = ReplayReport()
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await reader.start()
    await admin.start()
    try:
        for topic in topics:
            found = await _read_all(reader, await _partitions(admin, dlq(topic)))
            letters = [d for d in found if _of_group(d, group)]
            report.dead_letters[topic] = len(letters)
            report.applied[topic] = 0
            opener = (openers or {}).get(topic)
            for letter in letters:
                await _replay_one(reader, letter, topic, handler, opener, report)
    finally:
        await admin.close()
        await reader.stop()
    return report


async def _replay_one(
    reader: AIOKafkaConsumer,
    letter: Record,
    topic: str,
    handler: BatchHandler,
    opener: Open | None,
    report: ReplayReport,
) -> None:
    where = {"topic": topic, "dlq_offset": letter.offset, **_origin(letter)}
    try:
        record = await restore(reader, letter, topic, opener)
        await handler([record])
    except Exception as exc:
        report.failed.append({**where, "error": f"{type(exc).__name__}: {exc}"[:500]})
        log.warning("dead letter not applied", extra={**where, "error": type(exc).__name__})
        return
    report.applied[topic] += 1


async def restore(
    reader: AIOKafkaConsumer, letter: Record, topic: str, opener: Open | None
) -> Record:
    """The record a dead letter stands for."""
    headers = dict(letter.headers or [])
    origin = _origin(letter)
    if headers.get("dlq_reference") == b"1":
        return await _fetch(reader, topic, int(origin["partition"]), int(origin["offset"]))
    if headers.get("dlq_sealed") == b"1":
        if opener is None:
            raise RuntimeError(f"a sealed dead letter of {topic} and no key to open it")
        value, original = unpack(opener(letter.value or b""))
    else:
        value = letter.value or b""
        original = [(k, v) for k, v in letter.headers or [] if not k.startswith("dlq_")]
    return ConsumerRecord(
        topic,
        int(origin["partition"]),
        int(origin["offset"]),
        letter.timestamp,
        letter.timestamp_type,
        letter.key,
        value,
        None,
        len(letter.key or b""),
        len(value),
        tuple(original),
    )


def _origin(letter: Record) -> dict[str, str]:
    headers = dict(letter.headers or [])
    return {
        "partition": headers.get("dlq_partition", b"0").decode(),
        "offset": headers.get("dlq_offset", b"-1").decode(),
    }


def _of_group(letter: Record, group: str) -> bool:
    """A dead letter of this group (a tombstone of an erased contact is none)."""
    return (
        letter.value is not None and dict(letter.headers or []).get("dlq_group") == group.encode()
    )


async def _partitions(admin: AIOKafkaAdminClient, topic: str) -> list[TopicPartition]:
    """The partitions of a topic as the broker describes them; none when it does not exist.

    Asked of the broker, not of the reader: a consumer subscribed to nothing knows no topic's
    partitions (``partitions_for_topic`` stays None even after ``topics()``).
    """
    [described] = await admin.describe_topics([topic])
    if described["error_code"] != 0:
        return []
    return [
        TopicPartition(topic, p["partition"])
        for p in sorted(described["partitions"], key=lambda p: p["partition"])
    ]


async def _read_all(reader: AIOKafkaConsumer, tps: list[TopicPartition]) -> list[Record]:
    """Every record of the partitions, from their start to their end at the time of the call."""
    if not tps:
        return []
    reader.assign(tps)
    ends = await reader.end_offsets(tps)
    # An explicit seek to each first offset: ``seek_to_beginning`` right after ``assign`` can lose
    # to the reset the assignment starts, leaving the position at the end.
    for tp, first in (await reader.beginning_offsets(tps)).items():
        reader.seek(tp, first)
    found: list[Record] = []
    for tp in tps:
        idle = 0
        while await reader.position(tp) < ends[tp] and idle < 10:
            batch = (await reader.getmany(tp, timeout_ms=1000)).get(tp, [])
            idle = 0 if batch else idle + 1
            found += [r for r in batch if r.offset < ends[tp]]
    return found


async def _fetch(reader: AIOKafkaConsumer, topic: str, partition: int, offset: int) -> Record:
    """The record at an offset of a topic (a dead letter by reference)."""
    tp = TopicPartition(topic, partition)
    reader.assign([tp])
    reader.seek(tp, offset)
    batch = await reader.getmany(tp, timeout_ms=5000, max_records=1)
    for record in batch.get(tp, []):
        if record.offset == offset:
            return record
    raise LookupError(f"{topic}[{partition}]@{offset} is no longer on its topic")


def print_and_exit(report: ReplayReport) -> None:
    """Print the report as one JSON line (beside the JSON log lines); exit 1 if one failed again."""
    body = {"dead_letters": report.dead_letters, "applied": report.applied, "failed": report.failed}
    print(json.dumps({"replay": body}, ensure_ascii=False), flush=True)
    if not report.ok:
        sys.exit(1)

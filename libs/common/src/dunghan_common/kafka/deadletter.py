"""Dead letters: the record and its error; by reference when too large, sealed when personal.

A dead letter is normally a copy of the record (key, value, headers) with ``dlq_*`` headers
added. Two exceptions keep the dead-letter publish from ever blocking a partition or leaking:

* **By reference.** When the copy would exceed the broker's maximum record size (its headers
  alone may), it is sent without value or original headers: ``dlq_reference: 1`` and the
  source's topic, partition and offset say where the record still is, ``dlq_original_bytes`` how
  large it was. The replay command reads it from there.
* **Sealed.** A topic of personal data (``dossier-contacts``) has its dead letters sealed by the
  consuming service's sealer (``dlq_sealed: 1``): value and original headers in one encrypted
  envelope, so the dead-letter topic holds no contact in clear.

A dead-letter topic that refuses records is retried with backoff while the process reports not
ready (`Conditions`), never silently.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

import orjson
from aiokafka import ConsumerRecord
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from dunghan_common.events.topics import dlq
from dunghan_common.health import Conditions
from dunghan_common.kafka.producer import KafkaPublisher, OutgoingRecord, PublishError

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
#: Encrypts bytes (a sealer's ``seal_bytes``); its inverse is given to the replay command.
Seal = Callable[[bytes], bytes]
#: Bytes a record costs beyond its key, value and header bytes (batch and record framing).
RECORD_OVERHEAD = 512
#: Keys longer than this are dropped from a dead letter by reference.
MAX_KEY_BYTES = 1024
#: The readiness condition held while dead letters cannot be published.
CONDITION = "dead-letters"


@dataclass(frozen=True, slots=True)
class DeadLetterPolicy:
    """How dead letters are written: the size limit and the sealed topics."""

    max_record_bytes: int = 1_000_000
    sealers: Mapping[str, Seal] | None = None
    #: Seconds between attempts while the dead-letter topic refuses records.
    retry_s: float = 1.0


def record_size(key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> int:
    """An upper estimate of a record's size on the wire."""
    head = sum(len(k.encode()) + len(v) + 10 for k, v in headers)
    return RECORD_OVERHEAD + len(key or b"") + len(value) + head


def pack(record: Record) -> bytes:
    """Value and headers of a record in one JSON envelope (what is sealed)."""
    envelope = {
        "value": base64.b64encode(record.value or b"").decode(),
        "headers": [[k, base64.b64encode(v).decode()] for k, v in (record.headers or [])],
    }
    return orjson.dumps(envelope)


def unpack(packed: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value and headers `pack` wrapped."""
    envelope = orjson.loads(packed)
    headers = [(k, base64.b64decode(v)) for k, v in envelope["headers"]]
    return base64.b64decode(envelope["value"]), headers


class DeadLetters:
    """Writes a consumer group's dead letters; never blocks on a record that cannot fit."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        group: str,
        policy: DeadLetterPolicy,
        conditions: Conditions | None = None,
    ) -> None:
        self._publisher = publisher
        self._group = group
        self._policy = policy
        self._conditions = conditions or Conditions()

    def build(self, record: Record, error: BaseException) -> OutgoingRecord:
        """The dead letter of a record: a copy, a sealed copy, or a reference."""
        meta = self._meta(record, error)
        seal = (self._policy.sealers or {}).get(record.topic)
        if seal is not None:
            value, headers = seal(pack(record)), [*meta, ("dlq_sealed", b"1")]
        else:
            value, headers = record.value or b"", [*(record.headers or []), *meta]
        if record_size(record.key, value, headers) > self._policy.max_record_bytes:
            return self.reference(record, error)
        return OutgoingRecord(dlq(record.topic), value, record.key, headers)

    def reference(self, record: Record, error: BaseException) -> OutgoingRecord:
        """A dead letter that points at the record on its topic instead of copying it."""
        size = record_size(record.key, record.value or b"", list(record.headers or []))
        headers = [
            *self._meta(record, error),
            ("dlq_reference", b"1"),
            ("dlq_original_bytes", str(size).encode()),
        ]
        key = record.key if record.key is not None and len(record.key) <= MAX_KEY_BYTES else None
        return OutgoingRecord(dlq(record.topic), b"", key, headers)

    async def send(self, record: Record, error: BaseException, stopping: asyncio.Event) -> None:
        """Publish a record's dead letter; retry while the topic refuses it, not ready meanwhile.

        Raises `PublishError` if asked to stop before it went through (the offset is then not
        committed and the record is consumed again).
        """
        out = self.build(record, error)
        while True:
            try:
                await self._publisher.publish([out])
                self._conditions.clear(CONDITION)
                return
            except PublishError as exc:
                if _too_large(exc) and not _is_reference(out):
                    out = self.reference(record, error)
                    continue
                self._conditions.hold(CONDITION, f"{out.topic}: {exc}")
                log.warning("dead-letter publish failed, retrying", extra={"error": repr(exc)})
                if stopping.is_set():
                    raise
                await asyncio.sleep(self._policy.retry_s)

    def _meta(self, record: Record, error: BaseException) -> list[tuple[str, bytes]]:
        return [
            ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_group", self._group.encode()),
            ("dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]


def _too_large(exc: PublishError) -> bool:
    return isinstance(exc.__cause__, MessageSizeTooLargeError | RecordTooLargeError)


def _is_reference(out: OutgoingRecord) -> bool:
    return any(k == "dlq_reference" for k, _ in out.headers)

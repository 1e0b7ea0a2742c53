"""Failure classification by SQLSTATE, dead letters by reference or sealed, the loop policy."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from dunghan_common.failures import Failure, PoisonMessageError, classify, sqlstate
from dunghan_common.health import Conditions, NotReadyError
from dunghan_common.kafka.deadletter import DeadLetterPolicy, DeadLetters, pack, unpack
from dunghan_common.kafka.producer import KafkaPublisher, PublishError
from dunghan_common.loops import NOT_READY_AFTER, run_forever
from dunghan_common.settings import KafkaSettings
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DBAPIError

TRANSIENT = {
    "08006": asyncpg.exceptions.ConnectionFailureError,
    "40001": asyncpg.exceptions.SerializationError,
    "40P01": asyncpg.exceptions.DeadlockDetectedError,
    "53100": asyncpg.exceptions.DiskFullError,
    "53200": asyncpg.exceptions.OutOfMemoryError,
    "53300": asyncpg.exceptions.TooManyConnectionsError,
    "57014": asyncpg.exceptions.QueryCanceledError,
    "57P01": asyncpg.exceptions.AdminShutdownError,
    "25006": asyncpg.exceptions.ReadOnlySQLTransactionError,
    "55P03": asyncpg.exceptions.LockNotAvailableError,
}
PERMANENT = {
    "23505": asyncpg.exceptions.UniqueViolationError,
    "22003": asyncpg.exceptions.NumericValueOutOfRangeError,
    "42P01": asyncpg.exceptions.UndefinedTableError,
    "23502": asyncpg.exceptions.NotNullViolationError,
}


@pytest.mark.parametrize("state", sorted(TRANSIENT))
def test_a_database_in_trouble_is_transient_however_wrapped(state: str) -> None:
    error = TRANSIENT[state]("boom")
    assert sqlstate(error) == state
    assert classify(error) is Failure.TRANSIENT
    wrapped = DBAPIError("INSERT …", {}, error)  # as SQLAlchemy raises it
    assert classify(wrapped) is Failure.TRANSIENT
    outer = RuntimeError("use-case failed")
    outer.__cause__ = error
    assert classify(outer) is Failure.TRANSIENT


@pytest.mark.parametrize("state", sorted(PERMANENT))
def test_an_error_of_the_statement_is_not_transient(state: str) -> None:
    assert classify(PERMANENT[state]("bad row")) is Failure.ERROR
    assert classify(DBAPIError("INSERT …", {}, PERMANENT[state]("bad row"))) is Failure.ERROR


def test_poison_and_plain_errors() -> None:
    assert classify(PoisonMessageError("undecodable")) is Failure.POISON
    assert classify(ValueError("a defect")) is Failure.ERROR
    assert classify(ConnectionResetError()) is Failure.TRANSIENT


def _record(value: bytes, headers: list[tuple[str, bytes]], topic: str = "t") -> ConsumerRecord:
    return ConsumerRecord(topic, 2, 41, 0, 0, b"dossier-1", value, None, len(value), 0, headers)


def _letters(**policy: object) -> DeadLetters:
    publisher = KafkaPublisher(KafkaSettings())  # never started: build() needs no broker
    return DeadLetters(publisher, "g", DeadLetterPolicy(**policy))  # type: ignore[arg-type]


def test_a_dead_letter_too_large_for_the_broker_is_a_reference() -> None:
    huge = _record(b"{}", [("ce_x", b"v" * 1_000_000)])
    out = _letters().build(huge, PoisonMessageError("bad"))
    headers = dict(out.headers)
    assert out.value == b""
    assert headers["dlq_reference"] == b"1"
    assert (headers["dlq_topic"], headers["dlq_partition"], headers["dlq_offset"]) == (
        b"t",
        b"2",
        b"41",
    )
    assert int(headers["dlq_original_bytes"]) > 1_000_000
    assert "ce_x" not in headers
    small = _letters().build(_record(b"{}", [("ce_x", b"v")]), PoisonMessageError("bad"))
    assert small.value == b"{}"
    assert dict(small.headers)["ce_x"] == b"v"


def test_a_sealed_topic_has_its_dead_letters_sealed() -> None:
    record = _record(b'{"name": "Nguyen Van A"}', [("kind", b"applicant")], topic="contacts")
    letters = _letters(sealers={"contacts": lambda b: b[::-1]})
    out = letters.build(record, ValueError("x"))
    assert b"Nguyen" not in out.value
    assert all(b"applicant" not in v for _, v in out.headers)
    assert dict(out.headers)["dlq_sealed"] == b"1"
    assert unpack(out.value[::-1]) == (record.value, list(record.headers))
    assert unpack(pack(record)) == (record.value, list(record.headers))


class RefusingPublisher:
    """A dead-letter topic that refuses ``refusals`` publishes, then takes them."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.published: list[object] = []

    async def publish(self, records: list[object]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise PublishError("KafkaConnectionError: no broker")
        self.published += records


@pytest.mark.asyncio
async def test_a_refusing_dead_letter_topic_is_retried_while_not_ready() -> None:
    conditions = Conditions()
    publisher = RefusingPublisher(refusals=3)
    policy = DeadLetterPolicy(retry_s=0.01)
    letters = DeadLetters(publisher, "g", policy, conditions)  # type: ignore[arg-type]
    held: list[bool] = []
    sending = asyncio.create_task(
        letters.send(_record(b"{}", []), ValueError("x"), asyncio.Event())
    )
    while not sending.done():
        held.append(bool(conditions.held))
        await asyncio.sleep(0.005)
    await sending
    assert any(held), "not ready while the topic refused"
    assert not conditions.held
    assert len(publisher.published) == 1
    stopping = asyncio.Event()
    stopping.set()
    with pytest.raises(PublishError):  # asked to stop: given up, the offset stays uncommitted
        await DeadLetters(RefusingPublisher(9), "g", policy).send(  # type: ignore[arg-type]
            _record(b"{}", []), ValueError("x"), stopping
        )


@pytest.mark.asyncio
async def test_a_loop_survives_every_failure_and_is_not_ready_while_they_last() -> None:
    conditions = Conditions()
    registry = CollectorRegistry()
    stop = asyncio.Event()
    outcomes: list[BaseException | None] = [
        asyncpg.exceptions.AdminShutdownError("x"),
        RuntimeError("a defect"),
        ConnectionResetError(),
        None,
    ]
    seen: list[str] = []

    async def round_() -> bool:
        outcome = outcomes.pop(0)
        if len(seen) == NOT_READY_AFTER:
            seen.append("held" if conditions.held else "clear")
        if outcome is not None:
            seen.append(type(outcome).__name__)
            raise outcome
        stop.set()
        return False

    loop = run_forever(
        "t", round_, 0.0, registry=registry, conditions=conditions, stop=stop, min_backoff_s=0.01
    )
    await asyncio.wait_for(loop, 5)
    assert seen == ["AdminShutdownError", "RuntimeError", "ConnectionResetError", "held"]
    assert not conditions.held  # cleared by the round that went through
    await conditions.check()
    value = registry.get_sample_value
    assert value("dunghan_loop_rounds_total", {"loop": "t", "outcome": "transient"}) == 2
    assert value("dunghan_loop_rounds_total", {"loop": "t", "outcome": "error"}) == 1
    assert value("dunghan_loop_rounds_total", {"loop": "t", "outcome": "ok"}) == 1
    conditions.hold("x", "stalled")
    with pytest.raises(NotReadyError):
        await conditions.check()

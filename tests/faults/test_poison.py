"""Poison messages: each lands in its topic's `.dlq` with the error, and the partition moves on.

Undecodable and invalid records are produced straight onto every topic the services consume,
each keyed like a real dossier; a valid event for that dossier follows on the same partition
and must still be applied.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaProducer

from tests import support
from tests.faults.workload import dossier_events, header, stream, topic_records, write_figures

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

POISON = {
    "not JSON, no headers": (b"\xff\xfenot json", []),
    "JSON, no CloudEvents headers": (b'{"hello": "world"}', []),
    "CloudEvents headers, data invalid": (
        b'{"unit_code": 5}',
        [
            ("ce_specversion", b"1.0"),
            ("ce_id", b"poison-1"),
            ("ce_source", b"igate-quangtri"),
            ("ce_type", b"dossier.received"),
            ("ce_time", b"2025-08-01T10:00:00+07:00"),
            ("content-type", b"application/json"),
        ],
    ),
}
CONSUMED = ("events", "alerts", "findings", "contacts")


async def test_poison_is_dead_lettered_and_the_partition_moves_on(systems) -> None:
    system = systems.private
    tag = support.unique("poison").replace("_", "")
    good = dossier_events(3, tag)
    key = good[0]["subject"].encode()
    producer = AIOKafkaProducer(bootstrap_servers=system.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for role in CONSUMED:
            for value, headers in POISON.values():
                await producer.send_and_wait(system.topics[role], value, key=key, headers=headers)
    finally:
        await producer.stop()
    await stream([system], good, size=len(good), pause_s=0)  # after the poison, same partition

    moved_on = await _dossier_applied(system, good[0]["subject"], 90.0)
    # sla applying the valid event says nothing of the other consumers' progress on their own
    # topics (notify's contacts, say): wait, bounded, until every poison record is dead-lettered.
    deadline = time.monotonic() + 60.0
    while True:
        dead = await _dead_letters(system, key)
        if all(len(dead[r]) >= len(POISON) for r in CONSUMED) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    figures = {
        "poison_sent": len(POISON) * len(CONSUMED),
        "dead_lettered": {role: len(found) for role, found in dead.items()},
        "groups": {role: sorted({d["group"] or "" for d in found}) for role, found in dead.items()},
        "errors": sorted({(d["error"] or "")[:120] for found in dead.values() for d in found}),
        "partition_moved_on": moved_on,
    }
    write_figures("poison", figures)
    assert moved_on, "the valid event after the poison was not applied"
    for role in CONSUMED:
        assert len(dead[role]) >= len(POISON), (role, dead[role])
        assert all(d["error"] for d in dead[role]), (role, dead[role])


async def _dead_letters(system, key: bytes) -> dict[str, list[dict[str, str | None]]]:
    """The dead letters of each consumed topic carrying the poison's key."""
    dead: dict[str, list[dict[str, str | None]]] = {}
    for role in CONSUMED:
        records = await topic_records(system.kafka_bootstrap, f"{system.topics[role]}.dlq")
        dead[role] = [
            {"group": header(r, "dlq_group"), "error": header(r, "dlq_error")}
            for r in records
            if r.key == key
        ]
    return dead


async def _dossier_applied(system, code: str, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    async with system.client("sla") as sla:
        while time.monotonic() < deadline:
            if (await sla.get(f"/v1/dossiers/{code}")).status_code == 200:
                return True
            await asyncio.sleep(0.5)
    return False

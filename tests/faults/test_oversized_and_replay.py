"""An oversized record on the topic is dead-lettered by reference; the replay command re-applies.

Ingest now refuses an event with a megabyte of extension attributes at the door
(tests/integration/ingest/test_ingest_door.py). One written onto `dossier-events` by hand, just
under the broker's 1 MiB limit, cannot be applied, and its dead-letter copy with the error
headers would exceed the limit: before, the dead-letter publish retried every second for ever
and nothing behind the record was applied. Now its dead letter is a reference, and every record
behind it on the partition is applied.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from tests import support
from tests.e2e.system import ROOT, System
from tests.faults.sla_alone import (
    dead_letters,
    expected,
    origin,
    put,
    topic_form,
    wait_applied,
)
from tests.faults.workload import dossier_events, header, write_figures

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

#: Just under the broker's default message.max.bytes (1,048,588): the record fits, its copy
#: with the dead-letter headers would not.
BLOAT = 1_046_000


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system() -> AsyncIterator[System]:
    """sla alone on fresh topics and a fresh database of the shared stack."""
    found = System(prefix=support.unique("big"))
    try:
        await found.start(services=("sla",))
        yield found
    finally:
        await found.stop()


async def test_an_oversized_record_is_dead_lettered_by_reference(system: System) -> None:
    tag = support.unique("big").replace("_", "")
    events = dossier_events(4, tag)
    records = topic_form(events)
    key, value, headers = records[0]
    bloated = (key, value, [*headers, ("ce_bloat", b"x" * BLOAT)])
    await put(system, [bloated])  # first on its partition: everything of that dossier is behind
    await put(system, records)
    got, seconds = await wait_applied(system, tag, events, limit_s=90.0)
    dead = [d for d in await dead_letters(system) if d.key == key]
    figures = {
        "record_bytes": len(value) + BLOAT,
        "dossiers": len(expected(events)),
        "applied_behind": sum(got.values()),
        "expected_behind": sum(expected(events).values()),
        "seconds_to_apply_behind": round(seconds, 1),
        "dead_letters": [
            {
                "reference": header(d, "dlq_reference"),
                "original_bytes": header(d, "dlq_original_bytes"),
                "value_bytes": len(d.value or b""),
                "error": (header(d, "dlq_error") or "")[:120],
            }
            for d in dead
        ],
    }
    write_figures("oversized_record", figures)
    assert got == expected(events), "records behind the oversized one were not all applied"
    assert len(dead) == 1, figures
    [letter] = dead
    assert header(letter, "dlq_reference") == "1"
    assert letter.value == b""
    assert origin(letter)[0] == system.topics["events"]
    assert int(header(letter, "dlq_original_bytes") or 0) > BLOAT


async def test_the_replay_command_reapplies_dead_letters_after_a_fix(system: System) -> None:
    """A valid event dead-lettered by a fault now fixed (as the old consumer did after an outage
    of 5 s) is applied by ``python -m sla replay-dead-letters``; one that still fails (the
    oversized record, by reference) is reported, and the command exits 1."""
    tag = support.unique("replay").replace("_", "")
    events = dossier_events(1, tag)[:1]
    [(key, value, headers)] = topic_form(events)
    dlq_headers = [
        *headers,
        ("dlq_error", b"DeadlockDetectedError: deadlock detected"),
        ("dlq_topic", system.topics["events"].encode()),
        ("dlq_partition", b"0"),
        ("dlq_offset", b"0"),
        ("dlq_group", f"{system.prefix}.sla".encode()),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=system.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        topic = f"{system.topics['events']}.dlq"
        await producer.send_and_wait(topic, value, key=key, headers=dlq_headers)
    finally:
        await producer.stop()
    start = time.monotonic()
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "sla", "replay-dead-letters"],
        env=system.env("sla"),
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith(b"{")]
    [report] = [line["replay"] for line in lines if "replay" in line]
    got, _ = await wait_applied(system, tag, events, limit_s=10.0)
    write_figures(
        "replay",
        {
            "exit_code": done.returncode,
            "seconds": round(time.monotonic() - start, 1),
            **report,
        },
    )
    assert got == expected(events), done.stderr.decode()[-2000:]
    assert report["applied"][system.topics["events"]] >= 1
    references = [d for d in await dead_letters(system) if header(d, "dlq_reference") == "1"]
    assert len(report["failed"]) == len(references), report  # the oversized one fails again
    assert done.returncode == (1 if references else 0)

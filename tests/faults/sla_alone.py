"""sla alone on the shared stack (fresh topics and database), fed straight onto its topic.

The consumer faults (oversized records, database errors of every SQLSTATE class, rebalances)
need only the consumer under test: events are produced onto `dossier-events` as ingest would
write them, and what sla applied is read from its database (each dossier's ``event_count`` counts
distinct events, so a record applied twice shows as once).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from dunghan_common.events import parse_event, split_contact, to_kafka

from tests.e2e.system import ROOT, System, free_port
from tests.faults.workload import header, rows, topic_records

#: Long runs (``make test-faults-long``) set this; the figures in RELIABILITY.md come from them.
LONG = os.environ.get("DUNGHAN_FAULTS_LONG") == "1"


def topic_form(
    events: Sequence[dict[str, Any]],
) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """Key, value and headers of each event as ingest writes it onto `dossier-events`."""
    out = []
    for raw in events:
        public, _ = split_contact(parse_event(raw))
        message = to_kafka(public)
        out.append((message.key, message.value, list(message.headers)))
    return out


async def put(
    system: System, records: Sequence[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Produce records onto the system's `dossier-events`, acknowledged by the broker."""
    producer = AIOKafkaProducer(
        bootstrap_servers=system.kafka_bootstrap, acks="all", max_request_size=8 * 1_048_576
    )
    await producer.start()
    try:
        futures = [
            await producer.send(system.topics["events"], value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def applied(system: System, tag: str) -> dict[str, int]:
    """Each of the tag's dossiers sla holds, with the number of distinct events applied.

    While a fault shuts the database's connections down, the probe's own connection may be cut
    too: that poll sees nothing applied yet and the caller polls again.
    """
    try:
        found = await rows(system, "sla", "SELECT dossier_id, event_count FROM sla_dossiers")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError):
        return {}  # InternalClientError: the shutdown cut the connection mid-message
    return {code: count for code, count in found if f"-{tag}-" in code}


def expected(events: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The event count each dossier must reach."""
    counts: dict[str, int] = {}
    for e in events:
        counts[e["subject"]] = counts.get(e["subject"], 0) + 1
    return counts


async def wait_applied(
    system: System, tag: str, events: Sequence[dict[str, Any]], limit_s: float
) -> tuple[dict[str, int], float]:
    """Poll until every dossier reached its count (or time ran out); the state and seconds."""
    want, start = expected(events), time.monotonic()
    got = await applied(system, tag)
    while got != want and time.monotonic() - start < limit_s:
        await asyncio.sleep(0.5)
        got = await applied(system, tag)
    return got, time.monotonic() - start


async def dead_letters(system: System, role: str = "events") -> list[Any]:
    """Every dead letter of a topic of the system."""
    return await topic_records(system.kafka_bootstrap, f"{system.topics[role]}.dlq")


async def readiness(system: System, service: str = "sla") -> int:
    """The HTTP status of a service's /readyz (0 when it does not answer)."""
    try:
        async with system.client(service) as client:
            return (await client.get("/readyz", timeout=3.0)).status_code
    except httpx.HTTPError:
        return 0


async def sql(system: System, statement: str, database: str | None = None) -> None:
    """Run a statement in sla's database (or another of the cluster)."""
    conn = await asyncpg.connect(system.pg_dsn(database or system.databases["sla"]))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def consume_process(system: System, name: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start one more ``python -m sla consume`` member of the system's group; process and port."""
    port = free_port()
    env = {**system.env("sla"), "DUNGHAN_HTTP_PORT": str(port)}
    log = (system.log_dir / f"{system.prefix}.{name}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sla", "consume"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, port


async def metric(port: int, name: str) -> float:
    """The sum of a metric's samples in a process's /metrics (0 if it does not answer)."""
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(timeout=3.0) as client:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name) and not line.startswith("#")
        )
    return 0.0


def origin(record: Any) -> tuple[str | None, str | None, str | None]:
    """Where a dead letter's record was: topic, partition, offset."""
    return (
        header(record, "dlq_topic"),
        header(record, "dlq_partition"),
        header(record, "dlq_offset"),
    )

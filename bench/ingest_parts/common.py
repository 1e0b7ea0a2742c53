"""Shared pieces of the ingest benchmark: events, ports, the bench topics and database."""

from __future__ import annotations

import copy
import os
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
# Chosen by the parent, inherited by the helper processes through the environment.
BENCH_KEY = os.environ.get("INGEST_BENCH_KEY") or "bench-ingest-key-" + uuid.uuid4().hex
BOOTSTRAP = os.environ.get("DUNGHAN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def make_events(n: int, run: str) -> list[dict[str, Any]]:
    """``n`` valid events cycling through every pushed type, with unique ids and dossier codes."""
    from dunghan_common.events import EXAMPLES

    kinds = list(EXAMPLES)
    out = []
    for i in range(n):
        e = copy.deepcopy(EXAMPLES[kinds[i % len(kinds)]])
        e["id"] = f"{run}-{i}"
        if "subject" in e:
            e["subject"] = f"000.00.12.H50-{run}-{i // len(kinds)}"
        out.append(e)
    return out


def serialised(events: list[dict[str, Any]]) -> list[Record]:
    """The records ingest writes to ``dossier-events`` for these events (key, value, headers)."""
    from dunghan_common.events import parse_event, split_contact, to_kafka

    out = []
    for raw in events:
        public, _ = split_contact(parse_event(raw))
        m = to_kafka(public)
        out.append((m.key, m.value, m.headers))
    return out


def median_size(records: list[Record]) -> int:
    """Median bytes of one record: value plus header names and values (what a record carries)."""
    sizes = [len(v) + sum(len(k) + len(h) for k, h in hs) for _, v, hs in records]
    return int(statistics.median(sizes))


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until a server answers ``GET url`` with 200."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def partitions_of(topic: str) -> int:
    """Partition count of an existing topic (6 if it is missing)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
        return len(described[0]["partitions"]) or 6
    except Exception:
        return 6
    finally:
        await admin.close()


async def topics(names: dict[str, int], create: bool) -> None:
    """Create (name → partitions) or delete the bench's topics."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        if create:
            await admin.create_topics([NewTopic(n, p, 1) for n, p in names.items()])
        else:
            await admin.delete_topics(list(names))
    finally:
        await admin.close()


async def database(name: str, create: bool) -> str:
    """Create or drop the bench's ledger database; its SQLAlchemy URL."""
    import asyncpg

    port = os.environ.get("PG_PORT", "55432")
    conn = await asyncpg.connect(f"postgresql://dunghan:dunghan@127.0.0.1:{port}/postgres")
    try:
        sql = (
            f'CREATE DATABASE "{name}"'
            if create
            else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
        await conn.execute(sql)
    finally:
        await conn.close()
    return f"postgresql+asyncpg://dunghan:dunghan@127.0.0.1:{port}/{name}"

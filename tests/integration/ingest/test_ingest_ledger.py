"""The duplicate ledger on the real database: restarts, racing replicas, outage, pruning."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import pytest
from dunghan_common.clock import FakeClock
from ingest.adapters.sql import SqlIngestUnitOfWork
from ingest.usecases import PruneAccepted

from tests import support
from tests.integration.ingest.conftest import read_topic
from tests.integration.ingest.test_ingest_api import event, ids_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_duplicates_survive_a_restart(ingest_factory) -> None:
    first = await ingest_factory()
    sent = [event(), event("dossier.assigned")]
    assert (await first.post(sent)).json() == {"accepted": 2, "duplicates": 0}
    await first.client.aclose()
    await first.service.stop()  # the process is gone; only the database remembers
    restarted = await ingest_factory(share=first)
    response = await restarted.post([*sent, event()])
    assert response.json() == {"accepted": 1, "duplicates": 2}
    assert len(await read_topic(first.events_topic, 4, timeout_s=5)) == 3


async def test_replicas_racing_on_the_same_events_publish_them_once(ingest_factory) -> None:
    one = await ingest_factory()
    two = await ingest_factory(share=one)
    sent = [event() for _ in range(50)]
    answers = await asyncio.gather(*(app.post(sent) for app in (one, two, one, two)))
    assert all(a.status_code == 202 for a in answers)
    assert sum(a.json()["accepted"] for a in answers) == 50
    assert sum(a.json()["duplicates"] for a in answers) == 150
    records = await read_topic(one.events_topic, 51, timeout_s=5)
    assert len(records) == 50
    assert ids_of(records) == {e["id"] for e in sent}


async def test_ledger_unreachable_answers_503_and_publishes_nothing(ingest_factory) -> None:
    with socket.socket() as s:  # a port nobody listens on once the socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+asyncpg://dunghan:dunghan@127.0.0.1:{port}/nowhere"
    app = await ingest_factory(db_url=url, retry_after_s=7)
    response = await app.post([event(), event()])
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "7"
    assert "accepted" not in response.json()
    assert await read_topic(app.events_topic, 1, timeout_s=3) == []


async def test_ledger_database_dropped_answers_503_and_publishes_nothing(ingest_factory) -> None:
    app = await ingest_factory(retry_after_s=4)
    assert (await app.post(event())).status_code == 202
    await support.drop_database(app.db_url.rsplit("/", 1)[1])  # terminates its sessions too
    for attempt in (event(), event()):  # a pooled (now dead) connection, then a new one
        response = await app.post(attempt)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "4"
    assert len(await read_topic(app.events_topic, 2, timeout_s=3)) == 1


async def test_prune_forgets_pairs_past_the_retention(ingest_factory) -> None:
    app = await ingest_factory()
    sent = [event(), event()]
    assert (await app.post(sent)).json() == {"accepted": 2, "duplicates": 0}
    ledger = app.service.ledger
    now = datetime.now(UTC)
    kept = PruneAccepted(lambda: SqlIngestUnitOfWork(ledger), FakeClock(now), timedelta(days=7))
    assert await kept.execute() == 0
    later = FakeClock(now + timedelta(days=8))
    expired = PruneAccepted(lambda: SqlIngestUnitOfWork(ledger), later, timedelta(days=7))
    assert await expired.execute() == 2
    assert (await app.post(sent)).json() == {"accepted": 2, "duplicates": 0}


async def test_ledger_sessions_commit_without_waiting_for_the_disk(ingest_factory) -> None:
    app = await ingest_factory()
    conn = await app.service.ledger.acquire()
    try:
        assert await conn.fetchval("SHOW synchronous_commit") == "off"
    finally:
        await app.service.ledger.release(conn)

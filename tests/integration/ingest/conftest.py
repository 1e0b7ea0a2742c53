"""Fixtures of ingest's integration tier: the app in-process on a fresh database and topics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import ingest
import orjson
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from dunghan_common.db.migrations import upgrade
from dunghan_common.settings import DatabaseSettings, KafkaSettings, hash_secret
from ingest.bootstrap import IngestService, build
from ingest.domain.sources import RateLimit, SourceConfig
from ingest.settings import IngestApiSettings, IngestSettings

from tests import support

KEY, ROTATED_KEY = "it-key-one", "it-key-two"
SIGNED_KEY, SLOW_KEY, OTHER_KEY = "it-signed-key", "it-slow-key", "it-other-key"
NEW_SECRET = "whsec_" + "bmV3LXNpZ25pbmctc2VjcmV0LWZvci10ZXN0cw=="
OLD_SECRET = "old-raw-signing-secret"
SOURCE = "igate-quangtri"

SOURCES = [
    SourceConfig(id=SOURCE, key_hashes=[hash_secret(KEY), hash_secret(ROTATED_KEY)]),
    SourceConfig(
        id="signed-src",
        key_hashes=[hash_secret(SIGNED_KEY)],
        signing_secrets=[NEW_SECRET, OLD_SECRET],
    ),
    SourceConfig(
        id="slow-src",
        key_hashes=[hash_secret(SLOW_KEY)],
        rate_limit=RateLimit(events_per_s=0.5, burst=2),
    ),
    SourceConfig(id="other-src", key_hashes=[hash_secret(OTHER_KEY)]),
]


@dataclass
class RunningIngest:
    """One in-process ingest, its client and where it writes."""

    service: IngestService
    client: httpx.AsyncClient
    events_topic: str
    contacts_topic: str
    db_url: str

    async def post(
        self, body: Any, content_type: str = "application/json", **headers: str
    ) -> httpx.Response:
        """POST /v1/events with the default key unless ``Authorization`` is given."""
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        sent = {"Authorization": f"Bearer {KEY}", "Content-Type": content_type}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return await self.client.post("/v1/events", content=raw, headers=sent)


Factory = Callable[..., Awaitable[RunningIngest]]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ingest_factory() -> AsyncIterator[Factory]:
    """Builds running ingests (fresh database and topics each) and tears them all down."""
    made: list[RunningIngest] = []
    databases: list[str] = []
    topics: dict[str, list[str]] = {}

    async def make(
        share: RunningIngest | None = None,
        db_url: str | None = None,
        bootstrap: str | None = None,
        **api: Any,
    ) -> RunningIngest:
        """A new ingest; ``share``: another replica on its database and topics; ``db_url``: the
        ledger elsewhere (a database that is not there), topics fresh; ``bootstrap``: another
        broker than the shared one (the fault tier's private broker)."""
        bootstrap = bootstrap or support.kafka_bootstrap()
        if share is not None:
            url, events, contacts = share.db_url, share.events_topic, share.contacts_topic
        else:
            url = db_url or await _fresh_database(databases)
            events, contacts = support.unique("events"), support.unique("contacts")
            await support.create_topics([events, contacts], 3, bootstrap)
            topics.setdefault(bootstrap, []).extend([events, contacts])
        settings = IngestSettings(
            env="test",
            kafka=KafkaSettings(bootstrap_servers=bootstrap),
            db=DatabaseSettings(url=url, pool_size=4),
            api=IngestApiSettings(
                sources=SOURCES,
                events_topic=events,
                contacts_topic=contacts,
                **{"transactional_id": support.unique("ingest-it"), **api},
            ),
        )
        service = build(settings)
        await service.start()
        transport = httpx.ASGITransport(app=service.asgi)
        client = httpx.AsyncClient(transport=transport, base_url="http://ingest")
        running = RunningIngest(service, client, events, contacts, url)
        made.append(running)
        return running

    yield make
    for running in made:
        await running.client.aclose()
        await running.service.stop()
    for name in databases:
        await support.drop_database(name)
    for bootstrap, names in topics.items():
        await support.delete_topics(names, bootstrap)


async def _fresh_database(databases: list[str]) -> str:
    """A new migrated database for the ledger; its name is kept for the teardown."""
    name = support.unique("ingest")
    await support.create_database(name)
    databases.append(name)
    url = support.sqlalchemy_url(name)
    migrations = Path(ingest.__file__).parent / "migrations"
    await asyncio.to_thread(upgrade, migrations, url)
    return url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ingest_app(ingest_factory: Factory) -> RunningIngest:
    """The ingest most tests share (its own database and topics)."""
    return await ingest_factory()


async def read_topic(topic: str, expected: int, timeout_s: float = 15.0) -> list[Any]:
    """Read a topic from the start until ``expected`` records arrived (or the timeout)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=support.kafka_bootstrap(),
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # what every consumer of the contract reads
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for part in batch.values():
                    records.extend(part)
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return records

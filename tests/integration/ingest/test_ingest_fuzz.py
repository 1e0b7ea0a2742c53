"""Schemathesis against ingest's own OpenAPI (served by uvicorn on a free port): never a 5xx."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import ingest
import pytest
import schemathesis
import uvicorn
from dunghan_common.db.migrations import upgrade
from dunghan_common.events import EXAMPLES
from dunghan_common.settings import DatabaseSettings, KafkaSettings
from hypothesis import HealthCheck, given, settings
from ingest.bootstrap import build
from ingest.settings import IngestApiSettings, IngestSettings
from schemathesis import GenerationMode

from tests import support
from tests.e2e.system import free_port
from tests.integration.ingest.conftest import KEY, SOURCES

STATUSES: list[int] = []


def own_source(body: object) -> None:
    """Name the key's source in generated events, so most cases reach schema validation."""
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, dict) and "source" in item:
            item["source"] = SOURCES[0].id


class ServedIngest(threading.Thread):
    """An ingest served by uvicorn in its own thread and event loop."""

    def __init__(self, ingest_settings: IngestSettings, port: int) -> None:
        super().__init__(daemon=True)
        self.settings, self.port = ingest_settings, port
        self.server: uvicorn.Server | None = None

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        service = build(self.settings)
        await service.start()
        config = uvicorn.Config(service.asgi, port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        try:
            await self.server.serve()
        finally:
            await service.stop()


async def _prepare(database: str, topics: list[str]) -> str:
    await support.create_database(database)
    await support.create_topics(topics, 3)
    url = support.sqlalchemy_url(database)
    await asyncio.to_thread(upgrade, Path(ingest.__file__).parent / "migrations", url)
    return url


async def _clean(database: str, topics: list[str]) -> None:
    await support.drop_database(database)
    await support.delete_topics(topics)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    database, topics = support.unique("fuzz"), [support.unique("fz_ev"), support.unique("fz_ct")]
    url = asyncio.run(_prepare(database, topics))
    port = free_port()
    api = IngestApiSettings(
        sources=SOURCES,
        events_topic=topics[0],
        contacts_topic=topics[1],
        transactional_id=support.unique("fuzz"),  # never another ingest's on this host
    )
    server = ServedIngest(
        IngestSettings(
            env="test",
            kafka=KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
            db=DatabaseSettings(url=url, pool_size=4),
            api=api,
        ),
        port,
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        if server.server is not None:
            server.server.should_exit = True
        server.join(10)
        asyncio.run(_clean(database, topics))


def test_no_input_makes_a_server_error(served: str) -> None:
    spec = httpx.get(f"{served}/openapi.json").json()
    operation = schemathesis.openapi.from_dict(spec)["/v1/events"]["POST"]
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @given(case=strategy)
    @settings(
        max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:
        own_source(case.body)
        response = case.call(base_url=served, headers={"Authorization": f"Bearer {KEY}"})
        STATUSES.append(response.status_code)
        assert response.status_code < 500, (response.status_code, response.text[:500])

    check()
    # The generator must get past authentication and the source check, into validation. (Its
    # random times rarely fall inside the accepted window of event times, so a 202 is shown
    # with the contract's own example, fresh ids, on the same server.)
    assert 422 in STATUSES, sorted(set(STATUSES))
    example = copy.deepcopy(EXAMPLES["dossier.received"])
    example["id"] = f"fuzz-{uuid.uuid4()}"
    own_source(example)
    accepted = httpx.post(
        f"{served}/v1/events",
        json=example,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/cloudevents+json"},
    )
    assert accepted.status_code == 202, accepted.text

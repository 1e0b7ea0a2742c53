"""Schemathesis over sync-audit's own OpenAPI (uvicorn on a free port): never a 5xx.

Run twice: with an ops token (every handler reached) and with a unit token (scoped reads,
forbidden transitions). The database holds a real escalation, seeded through the use-case.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
import uvicorn
from dunghan_common.clock import FakeClock
from dunghan_common.db.migrations import upgrade
from dunghan_common.settings import (
    ApiToken,
    AuthSettings,
    DatabaseSettings,
    KafkaSettings,
    Role,
    hash_secret,
)
from sync_audit.bootstrap import build, build_app
from sync_audit.domain.model import Observation
from sync_audit.settings import AuditSettings, SyncAuditSettings

from tests import support
from tests.fuzzing import fuzz
from tests.integration.sync_audit.harness import MIGRATIONS, OPS, UNIT, UNIT_CODE

SEEDED = f"{UNIT_CODE}-250801-fuzz0001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed() -> list[Observation]:
    """A dossier finished on time whose finishing status reached the portal late: a sync error."""
    received = {
        "unit_code": UNIT_CODE,
        "procedure": {"code": "1.004227", "name": "Cấp giấy phép xây dựng"},
        "time_limit": {"value": 3, "unit": "working_days"},
        "due_at": "2025-08-06T10:00:00+07:00",
        "channel": "online",
    }
    rows = [
        ("dossier.received", "2025-08-01T10:00:00+07:00", received),
        ("dossier.result_ready", "2025-08-05T09:00:00+07:00", {}),
        ("portal.sync_succeeded", "2025-08-07T08:00:00+07:00", {"status_code": 9}),
        (
            "sla.finished",
            "2025-08-05T09:00:00+07:00",
            {
                "dossier": {
                    "unit_code": UNIT_CODE,
                    "procedure_code": "1.004227",
                    "received_at": "2025-08-01T10:00:00+07:00",
                    "due_at": "2025-08-06T10:00:00+07:00",
                    "events_applied": 2,
                },
                "finished_at": "2025-08-05T09:00:00+07:00",
                "end_event": "dossier.result_ready",
                "timeliness": "early",
            },
        ),
    ]
    return [
        Observation(
            event_key=f"fuzz/{n}",
            dossier_id=SEEDED,
            type=kind,
            time=datetime.fromisoformat(at),
            data=data,
        )
        for n, (kind, at, data) in enumerate(rows)
    ]


class ServedAudit(threading.Thread):
    """The sync-audit API under uvicorn in its own thread and event loop."""

    def __init__(self, audit_settings: SyncAuditSettings, port: int) -> None:
        super().__init__(daemon=True)
        self.settings, self.port = audit_settings, port
        self.server: uvicorn.Server | None = None

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        c = build(self.settings, FakeClock(datetime.fromisoformat("2025-08-10T12:00:00+07:00")))
        await c.publisher.start()  # /readyz pings Kafka through it
        await c.record(_seed(), [])
        config = uvicorn.Config(build_app(c), port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        try:
            await self.server.serve()
        finally:
            await c.publisher.stop()
            await c.engine.dispose()


async def _prepare(database: str) -> str:
    await support.create_database(database)
    url = support.sqlalchemy_url(database)
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    return url


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    database = support.unique("sa_fuzz")
    url = asyncio.run(_prepare(database))
    tokens = [
        ApiToken(token_hash=hash_secret(OPS), role=Role.OPS),
        ApiToken(token_hash=hash_secret(UNIT), role=Role.UNIT, unit_code=UNIT_CODE),
    ]
    server = ServedAudit(
        SyncAuditSettings(
            env="test",
            db=DatabaseSettings(url=url, pool_size=4),
            kafka=KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
            auth=AuthSettings(tokens=tokens),
            audit=AuditSettings(findings_topic=support.unique("sa_fuzz_findings")),
        ),
        _free_port(),
    )
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    for _ in range(200):
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
        asyncio.run(support.drop_database(database))


def test_no_input_makes_a_server_error_with_an_ops_token(served: str) -> None:
    seen = fuzz(served, OPS, 200)  # 2 of its 13 operations are the index's
    statuses = {s for _, s in seen}
    # Past authentication into the handlers: answers, refusals of bad input, unknown ids.
    assert 200 in statuses, sorted(statuses)
    assert {404, 422} & statuses, sorted(statuses)
    reached = {label for label, s in seen if s not in (401, 403)}
    assert "GET /v1/escalations" in reached
    assert "GET /v1/corrections" in reached
    # The seeded escalation is there for the handlers to find.
    listed = httpx.get(f"{served}/v1/escalations", headers={"Authorization": f"Bearer {OPS}"})
    assert [e["dossier_id"] for e in listed.json()["items"]] == [SEEDED]


def test_no_input_makes_a_server_error_with_a_unit_token(served: str) -> None:
    seen = fuzz(served, UNIT, 100)
    statuses = {s for _, s in seen}
    assert 200 in statuses, sorted(statuses)
    transitions = {s for label, s in seen if label.startswith("POST ")}
    # A unit token may read, never acknowledge nor resolve.
    assert 200 not in transitions, sorted(transitions)
    assert 403 in transitions or 422 in transitions, sorted(transitions)

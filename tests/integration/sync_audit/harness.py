"""The sync-audit service wired to fresh topics and a fresh database, driven like production."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sync_audit
from aiokafka import AIOKafkaConsumer
from dunghan_common.clock import FakeClock
from dunghan_common.db.migrations import upgrade
from dunghan_common.events import decode_event, encode_event, parse_event, to_kafka
from dunghan_common.events.envelope import ServiceEvent
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord
from dunghan_common.settings import (
    ApiToken,
    AuthSettings,
    DatabaseSettings,
    KafkaSettings,
    Role,
    hash_secret,
)
from sync_audit.bootstrap import Container, build, build_app, build_consumer, build_relay
from sync_audit.settings import AuditSettings, SyncAuditSettings

from tests import support

OPS, DOST, UNIT = "ops-secret-token", "dost-secret-token", "unit-secret-token"
UNIT_CODE = "000.00.12.H50"
RECEIVED_AT = "2025-08-01T10:00:00+07:00"
DUE_AT = "2025-08-06T10:00:00+07:00"
MIGRATIONS = Path(sync_audit.__file__).parent / "migrations"


def received(dossier: str, unit: str = UNIT_CODE, due_at: str | None = DUE_AT) -> dict[str, Any]:
    """A `dossier.received` (topic form: no applicant) with the default due date."""
    data: dict[str, Any] = {
        "unit_code": unit,
        "procedure": {"code": "1.004227", "name": "Cấp giấy phép xây dựng"},
        "time_limit": {"value": 3, "unit": "working_days"},
        "channel": "online",
    }
    if due_at:
        data["due_at"] = due_at
    return event("dossier.received", dossier, RECEIVED_AT, data)


def event(
    event_type: str,
    dossier: str | None,
    time: str,
    data: dict[str, Any],
    event_id: str | None = None,
) -> dict[str, Any]:
    """A structured-mode CloudEvent as ingest puts it on `dossier-events`."""
    raw: dict[str, Any] = {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "igate-quangtri",
        "type": event_type,
        "time": time,
        "data": data,
    }
    if dossier is not None:
        raw["subject"] = dossier
    return raw


def facts(due_at: str = DUE_AT, unit: str = UNIT_CODE) -> dict[str, Any]:
    """The `DossierFacts` of an sla alert, judged by ``due_at``."""
    return {
        "unit_code": unit,
        "procedure_code": "1.004227",
        "received_at": RECEIVED_AT,
        "due_at": due_at,
    }


def dossier_id() -> str:
    """A fresh dossier code."""
    return f"{UNIT_CODE}-250801-{uuid.uuid4().hex[:8]}"


class Harness:
    """Consumer and relay running against fresh topics and database; the API in process."""

    def __init__(self, c: Container, clock: FakeClock, topics: dict[str, str]) -> None:
        self.c = c
        self.clock = clock
        self.topics = topics
        self.app = build_app(c)
        self.api = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://sync-audit"
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._producer = KafkaPublisher(KafkaSettings(bootstrap_servers=support.kafka_bootstrap()))

    @classmethod
    async def start(
        cls, database: str, topic_factory: Any, now: str, **audit_options: Any
    ) -> Harness:
        """Migrate a fresh database, create fresh topics, start the consumer and the relay."""
        topics = {
            name: await topic_factory(f"sa_{name}", partitions=2)
            for name in ("events", "alerts", "findings")
        }
        await asyncio.to_thread(upgrade, MIGRATIONS, database)
        settings = SyncAuditSettings(
            env="test",
            db=DatabaseSettings(url=database),
            kafka=KafkaSettings(
                bootstrap_servers=support.kafka_bootstrap(), consumer_retry_backoff_s=0.05
            ),
            auth=AuthSettings(
                tokens=[
                    ApiToken(token_hash=hash_secret(OPS), role=Role.OPS),
                    ApiToken(token_hash=hash_secret(DOST), role=Role.DOST),
                    ApiToken(token_hash=hash_secret(UNIT), role=Role.UNIT, unit_code=UNIT_CODE),
                ]
            ),
            audit=AuditSettings(
                dossier_events_topic=topics["events"],
                sla_alerts_topic=topics["alerts"],
                findings_topic=topics["findings"],
                consumer_group=support.unique("sa_group"),
                **audit_options,
            ),
        )
        clock = FakeClock(datetime.fromisoformat(now))
        h = cls(build(settings, clock), clock, topics)
        await h._run()
        return h

    async def _run(self) -> None:
        await self.c.publisher.start()
        await self._producer.start()
        consumer = build_consumer(self.c)
        await consumer.start()
        relay = build_relay(self.c)
        self._stoppers = [consumer.stop, relay.stop]
        self._tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]

    async def stop(self) -> None:
        """Stop everything started."""
        for stop in self._stoppers:
            result = stop()
            if asyncio.iscoroutine(result):
                await result
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.aclose()
        await self._producer.stop()
        await self.c.publisher.stop()
        await self.c.engine.dispose()

    async def send(self, *events: dict[str, Any]) -> None:
        """Put events on the fresh `dossier-events` topic, as ingest would."""
        records = []
        for raw in events:
            message = to_kafka(parse_event(raw, form="topic"))
            records.append(
                OutgoingRecord(self.topics["events"], message.value, message.key, message.headers)
            )
        await self._producer.publish(records)

    async def send_alert(
        self, event_type: str, dossier: str, data: dict[str, Any], time: str
    ) -> None:
        """Put an `sla.*` alert on the fresh `sla-alerts` topic, as the sla service would."""
        message = encode_event(
            event_type,
            dossier,
            data,
            event_id=str(uuid.uuid4()),
            source="dunghan-sla",
            time=datetime.fromisoformat(time),
        )
        record = OutgoingRecord(self.topics["alerts"], message.value, message.key, message.headers)
        await self._producer.publish([record])

    async def breached(self, dossier: str, due_at: str = DUE_AT) -> None:
        """sla's `deadline_breached`: open past ``due_at`` (its event time is the due time)."""
        data = {"dossier": facts(due_at), "breached_at": due_at}
        await self.send_alert("sla.deadline_breached", dossier, data, due_at)

    async def finished_late(self, dossier: str, finished_at: str, due_at: str = DUE_AT) -> None:
        """sla's `finished_late`: processing ended after ``due_at``."""
        data = {
            "dossier": facts(due_at),
            "finished_at": finished_at,
            "end_event": "dossier.result_ready",
        }
        await self.send_alert("sla.finished_late", dossier, data, due_at)

    async def finished(
        self,
        dossier: str,
        finished_at: str,
        timeliness: str = "early",
        due_at: str = DUE_AT,
        applied: int = 5,
    ) -> None:
        """sla's `finished`: every end of processing, with its timeliness."""
        data = {
            "dossier": {**facts(due_at), "events_applied": applied},
            "finished_at": finished_at,
            "end_event": "dossier.result_ready",
            "timeliness": timeliness,
        }
        await self.send_alert("sla.finished", dossier, data, finished_at)

    async def revised(
        self,
        dossier: str,
        previous: tuple[str, str],
        current: tuple[str, str],
        applied: int = 10,
        revision: int = 1,
        at: str = DUE_AT,
    ) -> None:
        """sla's `verdict_revised`: (timeliness, due date) before and after late events."""
        data = {
            "dossier": {**facts(current[1]), "events_applied": applied},
            "revision": revision,
            "previous": {"timeliness": previous[0], "due_at": previous[1]},
            "current": {"timeliness": current[0], "due_at": current[1]},
            "caused_by": ["dossier.paused", "dossier.resumed"],
            "revised_at": at,
        }
        await self.send_alert("sla.verdict_revised", dossier, data, at)

    async def get(self, path: str, token: str = OPS, **kwargs: Any) -> httpx.Response:
        """GET the API with a bearer token."""
        headers = {"authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return await self.api.get(path, headers=headers, **kwargs)

    async def post(self, path: str, body: Any = None, token: str = DOST) -> httpx.Response:
        """POST the API with a bearer token."""
        return await self.api.post(path, json=body, headers={"authorization": f"Bearer {token}"})

    async def attribution(
        self, dossier: str, cause: str | None = None, revision: int | None = None
    ) -> dict[str, Any]:
        """Poll the attribution until it exists (with the cause and revision asked for)."""
        async with asyncio.timeout(30):
            while True:
                r = await self.get(f"/v1/dossiers/{dossier}/attribution")
                if r.status_code == 200:
                    body: dict[str, Any] = r.json()
                    if (cause is None or body["cause"] == cause) and (
                        revision is None or body["revision"] == revision
                    ):
                        return body
                await asyncio.sleep(0.1)

    async def findings(self, dossier: str, count: int) -> list[ServiceEvent]:
        """Read the fresh `audit-findings` topic until ``count`` events about the dossier came."""
        consumer = AIOKafkaConsumer(
            self.topics["findings"],
            bootstrap_servers=support.kafka_bootstrap(),
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        found: list[ServiceEvent] = []
        try:
            async with asyncio.timeout(30):
                while len(found) < count:
                    for part in (await consumer.getmany(timeout_ms=300)).values():
                        for r in part:
                            e = decode_event(r.value, r.headers)
                            if e.subject == dossier:
                                found.append(e)
            await asyncio.sleep(0.5)
            for part in (await consumer.getmany(timeout_ms=500)).values():
                found += [
                    e
                    for e in (decode_event(r.value, r.headers) for r in part)
                    if e.subject == dossier
                ]
        finally:
            await consumer.stop()
        return sorted(found, key=lambda e: e.time)


@asynccontextmanager
async def running(
    database: str, topic_factory: Any, now: str, **audit_options: Any
) -> AsyncIterator[Harness]:
    """A started harness (see `Harness.start`), stopped on the way out: a test module's fixture."""
    h = await Harness.start(database, topic_factory, now, **audit_options)
    try:
        yield h
    finally:
        await h.stop()

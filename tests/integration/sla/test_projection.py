"""The projector on the real broker and database: events in, dossiers out through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.settings import ApiToken, AuthSettings, Role, hash_secret
from sla.bootstrap import Sla
from sla.settings import SlaSettings

from tests import support
from tests.integration.sla.events import UNIT, cloud_event, received, record

pytestmark = pytest.mark.asyncio(loop_scope="session")
OPS = {"Authorization": "Bearer ops-token"}
OTHER_UNIT = {"Authorization": "Bearer unit-token"}
TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=TZ)
AUTH = AuthSettings(
    tokens=[
        ApiToken(token_hash=hash_secret("ops-token"), role=Role.OPS),
        ApiToken(token_hash=hash_secret("unit-token"), role=Role.UNIT, unit_code="000.00.99.H50"),
    ]
)


def story(dossier: str) -> list[dict]:
    """A dossier with a supplement, finished on its due day."""
    return [
        received(dossier, "2026-11-16 07:00", 3),
        cloud_event(dossier, "supplement_requested", "2026-11-16 09:00", {"reason": "thiếu"}),
        cloud_event(dossier, "supplement_received", "2026-11-17 09:00", {}),
        cloud_event(dossier, "result_ready", "2026-11-19 16:00", {}),
    ]


async def publish(settings: SlaSettings, events: list[dict]) -> None:
    """Put events on the settings' events topic, as ingest does."""
    publisher = KafkaPublisher(settings.kafka)
    await publisher.start()
    try:
        await publisher.publish([record(settings.sla.events_topic, e) for e in events])
    finally:
        await publisher.stop()


@asynccontextmanager
async def projecting(settings: SlaSettings, now: dt.datetime) -> AsyncIterator[Sla]:
    """A started service whose consumer projects the events topic in the background."""
    sla = Sla(settings.model_copy(update={"auth": AUTH}), clock=FakeClock(now))
    await sla.start()
    consumer = sla.consumer(sla.projector())
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        yield sla
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sla.stop()


async def wait_for_events(sla: Sla, dossier: str, count: int) -> None:
    """Wait until a dossier was folded from ``count`` events."""
    queries = sla.queries()
    async with asyncio.timeout(30):
        while (state := await queries.get(dossier)) is None or state.event_count < count:
            await asyncio.sleep(0.2)


def client(sla: Sla) -> httpx.AsyncClient:
    """An HTTP client of the service's app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sla.app()), base_url="http://sla")


async def test_out_of_order_and_duplicated_events_give_the_same_row(sla_settings) -> None:
    ordered = story("DOSSIER-A")
    shuffled = [{**e, "subject": "DOSSIER-B"} for e in story("DOSSIER-B")]
    noisy = shuffled + shuffled[:2]  # duplicates: the same (source, id) again
    random.Random(4).shuffle(noisy)
    await publish(sla_settings, ordered + noisy)
    async with projecting(sla_settings, NOW) as sla, client(sla) as http:
        await wait_for_events(sla, "DOSSIER-A", 4)
        await wait_for_events(sla, "DOSSIER-B", 4)
        a = (await http.get("/v1/dossiers/DOSSIER-A", headers=OPS)).json()
        b = (await http.get("/v1/dossiers/DOSSIER-B", headers=OPS)).json()
        missing = await http.get("/v1/dossiers/NOPE", headers=OPS)
        anonymous = await http.get("/v1/dossiers/DOSSIER-A")
        foreign = await http.get("/v1/dossiers/DOSSIER-A", headers=OTHER_UNIT)
    assert {**a, "dossier_id": "x"} == {**b, "dossier_id": "x"}
    assert a["status"] == "result_ready"
    assert a["due_at"] == "2026-11-19T17:00:00+07:00"  # 3 working days + 8 h of supplement
    assert a["timeliness"] == "on_time"
    assert a["clock"] == {"state": "stopped", "paused_seconds": 8 * 3600}
    assert (missing.status_code, anonymous.status_code, foreign.status_code) == (404, 401, 404)


async def test_late_supplement_event_re_derives_the_due_date(sla_settings) -> None:
    events = story("DOSSIER-C")[:3]
    await publish(sla_settings, [events[0]])
    now = dt.datetime(2026, 11, 19, 12, 0, tzinfo=TZ)
    async with projecting(sla_settings, now) as sla, client(sla) as http:
        await wait_for_events(sla, "DOSSIER-C", 1)
        before = (await http.get("/v1/dossiers/DOSSIER-C", headers=OPS)).json()
        await publish(sla_settings, events[1:])
        await wait_for_events(sla, "DOSSIER-C", 3)
        after = (await http.get("/v1/dossiers/DOSSIER-C", headers=OPS)).json()
        listed = await http.get(
            "/v1/dossiers", params={"unit_code": UNIT, "timeliness": "overdue"}, headers=OPS
        )
        bad = [
            await http.get("/v1/dossiers", params=p, headers=OPS)
            for p in ({"limit": 0}, {"cursor": "!!"}, {"timeliness": "soon"})
        ]
    assert before["due_at"] == "2026-11-18T17:00:00+07:00"
    assert before["timeliness"] == "overdue"
    assert after["due_at"] == "2026-11-19T17:00:00+07:00"
    assert after["timeliness"] == "within_time"
    assert listed.json()["items"] == []
    assert [r.status_code for r in bad] == [422, 400, 400]


async def test_a_late_event_refolds_and_a_redelivery_changes_nothing(sla_settings) -> None:
    received_, requested, supplied, ready = story("DOSSIER-L")
    await publish(sla_settings, [received_, requested, ready])
    async with projecting(sla_settings, NOW) as sla, client(sla) as http:
        await wait_for_events(sla, "DOSSIER-L", 3)
        # Earlier in event time than the stored last event (result_ready): the full re-fold.
        await publish(sla_settings, [supplied])
        await wait_for_events(sla, "DOSSIER-L", 4)
        first = (await http.get("/v1/dossiers/DOSSIER-L", headers=OPS)).json()
    assert first["due_at"] == "2026-11-19T17:00:00+07:00"  # the late supplement counted
    assert first["status"] == "result_ready"  # appended after result_ready it would not be
    assert first["timeliness"] == "on_time"
    assert first["clock"] == {"state": "stopped", "paused_seconds": 8 * 3600}
    # The whole topic again under a new group: every event is a duplicate.
    options = sla_settings.sla.model_copy(update={"consumer_group": support.unique("replay")})
    replay = sla_settings.model_copy(update={"sla": options})
    async with projecting(replay, NOW) as sla, client(sla) as http:
        async with asyncio.timeout(30):
            while (sla.registry.get_sample_value("dunghan_sla_projected_events_total") or 0) < 4:
                await asyncio.sleep(0.2)
        again = (await http.get("/v1/dossiers/DOSSIER-L", headers=OPS)).json()
        assert sla.pool is not None
        stored = await sla.pool.fetchval(
            "SELECT sum(json_array_length(events)) FROM sla_event_chunks"
            " WHERE dossier_id = 'DOSSIER-L'"
        )
        snapshot = await sla.pool.fetchval(
            "SELECT fold->>'count' FROM sla_dossiers WHERE dossier_id = 'DOSSIER-L'"
        )
    assert again == first
    assert (stored, snapshot) == (4, "4")

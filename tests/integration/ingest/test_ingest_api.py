"""POST /v1/events against the real broker and database: content types, rejections, duplicates."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import orjson
import pytest
from dunghan_common.events import EXAMPLES
from ingest.domain.signature import sign
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.ingest.conftest import (
    NEW_SECRET,
    OLD_SECRET,
    OTHER_KEY,
    ROTATED_KEY,
    SIGNED_KEY,
    SLOW_KEY,
    read_topic,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def event(kind: str = "dossier.submitted", source: str = "igate-quangtri", **changes: Any) -> dict:
    """A copy of the contract example of ``kind`` with a fresh id and dossier code."""
    e = copy.deepcopy(EXAMPLES[kind])
    e["id"] = str(uuid.uuid4())
    e["source"] = source
    if "subject" in e:
        e["subject"] = f"000.00.12.H50-{uuid.uuid4().hex[:8]}"
    e.update(changes)
    return e


def ids_of(records: list[Any]) -> set[str]:
    return {dict(r.headers)["ce_id"].decode() for r in records}


async def ledger(db_url: str, ids: list[str]) -> set[str]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            query = text("SELECT event_id FROM accepted_events WHERE event_id = ANY(:ids)")
            return {r[0] for r in await conn.execute(query, {"ids": ids})}
    finally:
        await engine.dispose()


async def test_every_content_type_is_accepted_and_published(ingest_app) -> None:
    sent = [event(kind) for kind in EXAMPLES]
    ndjson = b"\n".join(orjson.dumps(e) for e in sent[4:]) + b"\n"
    cases = [
        (sent[0], "application/cloudevents+json"),
        (sent[1:3], "application/cloudevents-batch+json; charset=utf-8"),
        (sent[3], "application/json"),
        (ndjson, "application/x-ndjson"),
    ]
    accepted = 0
    for body, content_type in cases:
        response = await ingest_app.post(body, content_type)
        assert response.status_code == 202, response.text
        accepted += response.json()["accepted"]
    assert accepted == len(sent)
    records = await read_topic(ingest_app.events_topic, len(sent))
    assert ids_of(records) >= {e["id"] for e in sent}
    assert await ledger(ingest_app.db_url, [e["id"] for e in sent]) == {e["id"] for e in sent}


async def test_array_in_plain_json_and_rotated_key(ingest_app) -> None:
    response = await ingest_app.post([event(), event()], Authorization=f"Bearer {ROTATED_KEY}")
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "duplicates": 0}


@pytest.mark.parametrize(
    ("body", "content_type", "needle"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b'{"a": 1}\n[1,\n', "application/x-ndjson", "line 2"),
        (b"[" * 200_000 + b"]" * 200_000, "application/json", "not valid JSON"),
        (b"[]", "application/json", "no events"),
        (b"[1]", "application/cloudevents+json", "one event"),
    ],
)
async def test_unparseable_bodies_answer_400(ingest_app, body, content_type, needle) -> None:
    response = await ingest_app.post(body, content_type)
    assert response.status_code == 400
    assert needle in response.json()["detail"]


async def test_missing_or_unknown_key_answers_401(ingest_app) -> None:
    assert (await ingest_app.post(event(), Authorization="")).status_code == 401
    assert (await ingest_app.post(event(), Authorization="Bearer nope")).status_code == 401
    assert (await ingest_app.post(event(), Authorization="Basic abc")).status_code == 401


async def test_foreign_source_answers_403(ingest_app) -> None:
    body = [event(), event(source="another-system")]
    response = await ingest_app.post(body, Authorization=f"Bearer {OTHER_KEY}")
    assert response.status_code == 403
    assert "event 0" in response.json()["detail"]


async def test_body_and_count_caps_answer_413(ingest_app) -> None:
    huge = b"[" + b" " * (5 * 1024 * 1024) + b"]"
    assert (await ingest_app.post(huge)).status_code == 413
    too_many = [event() for _ in range(1001)]
    response = await ingest_app.post(too_many)
    assert response.status_code == 413
    assert "1000" in response.json()["detail"]


async def test_wrong_content_type_answers_415(ingest_app) -> None:
    response = await ingest_app.post(orjson.dumps(event()), "text/plain")
    assert response.status_code == 415
    assert (await ingest_app.post(orjson.dumps(event()), "")).status_code == 415


async def test_invalid_events_answer_422_listing_all_and_accept_nothing(ingest_app) -> None:
    good = event()
    bad_limit = event("dossier.received")
    bad_limit["data"]["time_limit"]["value"] = "3"
    unknown = event(type="dossier.exploded")
    response = await ingest_app.post([good, bad_limit, unknown])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"index": 1, "field": "data.time_limit.value"} in [
        {"index": e["index"], "field": e["field"]} for e in errors
    ]
    assert any(e["index"] == 2 and e["field"] == "type" for e in errors)
    assert await ledger(ingest_app.db_url, [good["id"]]) == set()
    again = await ingest_app.post(good)
    assert again.json() == {"accepted": 1, "duplicates": 0}


async def test_event_times_outside_the_window_answer_422_naming_time(ingest_app) -> None:
    good = event()
    ahead = event(time="2099-01-01T08:00:00+07:00")
    old = event(time="2017-12-31T23:00:00+07:00")
    response = await ingest_app.post([good, ahead, old])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "time"), (2, "time")]
    assert "ahead" in errors[0]["message"]
    assert "2018-01-01" in errors[1]["message"]
    assert await ledger(ingest_app.db_url, [good["id"]]) == set()
    single = await ingest_app.post(ahead)  # one event, through the one-pass path: the same
    assert single.status_code == 422
    assert single.json()["errors"][0]["field"] == "time"


async def test_over_the_rate_limit_answers_429_with_retry_after(ingest_app) -> None:
    slow = f"Bearer {SLOW_KEY}"
    first = await ingest_app.post(
        [event(source="slow-src"), event(source="slow-src")], Authorization=slow
    )
    assert first.status_code == 202
    second = await ingest_app.post(event(source="slow-src"), Authorization=slow)
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1
    # An empty bucket answers before the body is even parsed: garbage gets 429 too, not 400.
    garbage = await ingest_app.client.post(
        "/v1/events",
        content=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": slow},
    )
    assert garbage.status_code == 429


async def test_duplicates_across_requests_and_within_one(ingest_app) -> None:
    a, b = event(), event()
    first = await ingest_app.post([a, b, a])
    assert first.json() == {"accepted": 2, "duplicates": 1}
    c = event()
    second = await ingest_app.post([a, c, b])
    assert second.json() == {"accepted": 1, "duplicates": 2}
    records = await read_topic(ingest_app.events_topic, 10_000, timeout_s=4)
    published = [dict(r.headers)["ce_id"].decode() for r in records]
    assert sorted(x for x in published if x in {a["id"], b["id"], c["id"]}) == sorted(
        [a["id"], b["id"], c["id"]]
    )


async def test_applicant_goes_to_contacts_only(ingest_app) -> None:
    received = event("dossier.received")
    response = await ingest_app.post(received, "application/cloudevents+json")
    assert response.status_code == 202
    events = [
        r
        for r in await read_topic(ingest_app.events_topic, 10_000, timeout_s=4)
        if dict(r.headers)["ce_id"].decode() == received["id"]
    ]
    assert len(events) == 1
    record = events[0]
    assert record.key == received["subject"].encode()
    assert dict(record.headers)["ce_type"] == b"dossier.received"
    data = orjson.loads(record.value)
    assert "applicant" not in data
    assert data["unit_code"] == "000.00.12.H50"
    everything = record.value + b"".join(v for _, v in record.headers)
    for personal in received["data"]["applicant"].values():
        assert personal.encode() not in everything
    contacts = await read_topic(ingest_app.contacts_topic, 10_000, timeout_s=4)
    mine = [c for c in contacts if c.key == received["subject"].encode()]
    assert len(mine) == 1
    contact = orjson.loads(mine[0].value)
    assert contact["name"] == received["data"]["applicant"]["name"]
    assert contact["email"] == received["data"]["applicant"]["email"]
    assert contact["event_id"] == received["id"]


def signed(body: bytes, secrets: list[str], at: float | None = None) -> dict[str, str]:
    webhook_id, ts = f"msg_{uuid.uuid4().hex}", int(at if at is not None else time.time())
    signatures = " ".join(sign(s, webhook_id, ts, body) for s in secrets)
    return {
        "Authorization": f"Bearer {SIGNED_KEY}",
        "webhook_id": webhook_id,
        "webhook_timestamp": str(ts),
        "webhook_signature": signatures,
    }


async def test_signatures_valid_rotated_stale_and_wrong(ingest_app) -> None:
    def body() -> bytes:
        return orjson.dumps(event(source="signed-src"))

    raw = body()
    assert (await ingest_app.post(raw, **signed(raw, [NEW_SECRET]))).status_code == 202
    raw = body()
    assert (await ingest_app.post(raw, **signed(raw, [OLD_SECRET]))).status_code == 202
    raw = body()
    both = signed(raw, ["whsec_d3Jvbmc=", NEW_SECRET])
    assert (await ingest_app.post(raw, **both)).status_code == 202
    raw = body()
    stale = signed(raw, [NEW_SECRET], at=time.time() - 301)
    assert (await ingest_app.post(raw, **stale)).status_code == 401
    raw = body()
    wrong = signed(raw, ["whsec_d3Jvbmc="])
    assert (await ingest_app.post(raw, **wrong)).status_code == 401
    raw = body()
    tampered = signed(raw, [NEW_SECRET])
    assert (await ingest_app.post(raw + b" ", **tampered)).status_code == 401
    unsigned = await ingest_app.post(body(), Authorization=f"Bearer {SIGNED_KEY}")
    assert unsigned.status_code == 401


async def test_metrics_count_outcomes_and_rejections(ingest_app) -> None:
    assert (await ingest_app.post(event())).status_code == 202  # its own accepted event
    await ingest_app.post(b"{", "application/json")
    text_ = (await ingest_app.client.get("/metrics")).text
    assert 'dunghan_ingest_rejected_requests_total{reason="unparseable"}' in text_
    assert 'outcome="accepted",source="igate-quangtri",type="dossier.submitted"' in text_
    assert "dunghan_ingest_kafka_produce_duration_seconds_bucket" in text_
    assert "dunghan_ingest_batch_size_events_bucket" in text_


async def test_ready_when_kafka_and_database_answer(ingest_app) -> None:
    response = await ingest_app.client.get("/readyz")
    assert response.status_code == 200, response.text

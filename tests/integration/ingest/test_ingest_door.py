"""The door's bounds against the real broker: extension attributes, codes, record sizes, signatures.

What passes the door must fit a Kafka record and name one dossier: an event with a megabyte of
extension attributes is refused (422), as are codes with zero-width or look-alike characters;
undeclared extension attributes never reach the topic; an event whose record would exceed the
record cap is refused with a 413 that names it, before anything is published; a signature is
checked over the ``webhook-timestamp`` header as sent.
"""

from __future__ import annotations

import time
import uuid

import orjson
import pytest
from ingest.domain.signature import sign

from tests.integration.ingest.conftest import NEW_SECRET, SIGNED_KEY, read_topic
from tests.integration.ingest.test_ingest_api import event, ids_of

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_megabyte_of_extension_attributes_is_refused(ingest_app) -> None:
    many = event(**{f"x{i}": "v" * 1000 for i in range(1000)})  # ~1 MB, each one within bounds
    answer = await ingest_app.post(many)
    assert answer.status_code == 422, answer.text
    assert "extension attributes" in answer.text
    eleven = event(**{f"x{i}": "v" for i in range(11)})
    assert (await ingest_app.post(eleven)).status_code == 422
    fine = event(**{f"x{i}": "v" * 300 for i in range(10)})
    assert (await ingest_app.post(fine)).status_code == 202


@pytest.mark.parametrize(
    "code",
    [
        "000.00.12.H50\u200b-250801-0001",  # zero-width space
        "000.00.12.\u041d50-250801-0001",  # Cyrillic Н for H
        "000.00.12.H50-250801-\u0966001",  # Devanagari zero
        "Đ00.00.12.H50-250801-0001",
        "000.00.12.H50-250801-0001\u00a0",  # no-break space
    ],
)
async def test_codes_with_characters_real_codes_never_use_are_refused(ingest_app, code) -> None:
    answer = await ingest_app.post(event(subject=code))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "subject"
    unit = event("dossier.received")
    unit["data"]["unit_code"] = code.split("-")[0]
    if not unit["data"]["unit_code"].isascii():
        assert (await ingest_app.post(unit)).status_code == 422


async def test_only_declared_extension_attributes_reach_the_topic(ingest_factory) -> None:
    app = await ingest_factory(forwarded_extensions=["traceparent"])
    traced = event(traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    traced["comexample"] = "kept off"
    assert (await app.post(traced)).status_code == 202
    [record] = await read_topic(app.events_topic, 1)
    headers = dict(record.headers)
    assert headers["ce_traceparent"].startswith(b"00-4bf92f")
    assert "ce_comexample" not in headers


async def test_a_record_over_the_cap_is_refused_by_name_before_any_publish(ingest_factory) -> None:
    app = await ingest_factory(
        max_record_bytes=10_000, forwarded_extensions=["traceparent", "tracestate"]
    )
    small = event()
    big = event(
        "dossier.paused",
        traceparent="ệ" * 1000,
        tracestate="ệ" * 1000,
        data={"kind": "other", "reason": "ệ" * 2000, "legal_basis": "ệ" * 1000},
    )
    answer = await app.post([small, big])
    assert answer.status_code == 413, answer.text
    [error] = answer.json()["errors"]
    assert error["index"] == 1
    assert "at most 10000" in error["message"]
    # nothing of the request was published: the next accepted event is the topic's first record
    after = event()
    assert (await app.post(after)).status_code == 202
    records = await read_topic(app.events_topic, 1)
    assert ids_of(records) == {after["id"]}


def _signed(raw: bytes, timestamp: str, signed_as: str | None = None) -> dict[str, str]:
    webhook_id = f"msg_{uuid.uuid4().hex}"
    signature = sign(NEW_SECRET, webhook_id, signed_as or timestamp, raw)
    return {
        "Authorization": f"Bearer {SIGNED_KEY}",
        "webhook_id": webhook_id,
        "webhook_timestamp": timestamp,
        "webhook_signature": signature,
    }


async def test_signatures_are_checked_over_the_timestamp_header_as_sent(ingest_app) -> None:
    now = int(time.time())

    def body() -> bytes:
        return orjson.dumps(event(source="signed-src"))

    raw = body()
    padded = f"0{now}"  # the same second, written differently: signed as written, it verifies
    assert (await ingest_app.post(raw, **_signed(raw, padded))).status_code == 202
    raw = body()  # signed over the re-rendered value, not over the header: refused
    assert (await ingest_app.post(raw, **_signed(raw, padded, str(now)))).status_code == 401
    for odd in (f"{now}.0", f" {now}", f"+{now}", f"{now}e0"):
        raw = body()
        assert (await ingest_app.post(raw, **_signed(raw, odd))).status_code == 401, odd

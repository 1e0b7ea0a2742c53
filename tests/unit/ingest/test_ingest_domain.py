"""Pure pieces of ingest: bodies, signatures, the token bucket, sources, CSV exports."""

from __future__ import annotations

import base64

import orjson
import pytest
from ingest.domain.bodies import BodyError, decode_body, media_type
from ingest.domain.exports import ExportError, csv_row_to_event
from ingest.domain.outcome import foreign_sources
from ingest.domain.ratelimit import TokenBucket, retry_after_header
from ingest.domain.signature import SignatureError, SignatureHeaders, sign, verify
from ingest.domain.sources import RateLimit, SourceConfig, find_source

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef").decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=utf-8", "application/json"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("text/plain", None),
        (None, None),
    ],
)
def test_media_type(header, expected) -> None:
    assert media_type(header) == expected


def test_each_content_type_decodes_to_a_list() -> None:
    one = {"id": "1"}
    assert decode_body("application/cloudevents+json", orjson.dumps(one)) == [one]
    assert decode_body("application/cloudevents-batch+json", orjson.dumps([one])) == [one]
    assert decode_body("application/json", orjson.dumps(one)) == [one]
    assert decode_body("application/json", orjson.dumps([one, one])) == [one, one]
    assert decode_body("application/x-ndjson", b'{"id":"1"}\n\n{"id":"2"}') == [
        {"id": "1"},
        {"id": "2"},
    ]


@pytest.mark.parametrize(
    ("kind", "body", "needle"),
    [
        ("application/x-ndjson", b'{"a":1}\n{"a":\n', "line 2"),
        ("application/x-ndjson", b'{"a":1}\n[1]\n', "line 2 is not a JSON object"),
        ("application/json", b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        ("application/json", b"42", "object or an array"),
        ("application/cloudevents-batch+json", b"{}", "JSON array"),
    ],
)
def test_bad_bodies_are_400(kind, body, needle) -> None:
    with pytest.raises(BodyError) as caught:
        decode_body(kind, body)
    assert caught.value.status == 400
    assert needle in caught.value.message


def headers(webhook_id: str, ts: int, signature: str) -> SignatureHeaders:
    return SignatureHeaders(webhook_id, str(ts), signature)


def test_standard_webhooks_signature_known_vector() -> None:
    # The Standard Webhooks reference vector (github.com/standard-webhooks, libraries' tests).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_signature_accepts_any_secret_and_any_listed_signature() -> None:
    body = b"{}"
    sig = sign(SECRET, "m1", 1000, body)
    verify([SECRET], headers("m1", 1000, sig), body, 1000, 300)
    verify(["old", SECRET], headers("m1", 1000, f"v1,AAAA {sig}"), body, 1200, 300)


@pytest.mark.parametrize(
    ("signed_at", "now", "webhook_id", "body"),
    [
        (1000, 1301, "m1", b"{}"),  # stale
        (1000, 699, "m1", b"{}"),  # from the future
        (1000, 1000, "m2", b"{}"),  # another message id
        (1000, 1000, "m1", b"{} "),  # body changed
    ],
)
def test_signature_refusals(signed_at, now, webhook_id, body) -> None:
    sig = sign(SECRET, "m1", signed_at, b"{}")
    with pytest.raises(SignatureError):
        verify([SECRET], headers(webhook_id, signed_at, sig), body, now, 300)


def test_signature_needs_all_headers() -> None:
    with pytest.raises(SignatureError):
        verify([SECRET], SignatureHeaders("m1", None, "v1,xx"), b"", 0, 300)
    with pytest.raises(SignatureError):
        verify([SECRET], SignatureHeaders("m1", "abc", "v1,xx"), b"", 0, 300)


def test_bucket_admits_the_burst_then_waits_for_refill() -> None:
    bucket = TokenBucket.full(RateLimit(events_per_s=10, burst=20), now_s=0)
    assert bucket.take(20, 0) == 0
    assert bucket.take(1, 0) == pytest.approx(0.1)
    assert bucket.take(5, 0.5) == 0
    assert retry_after_header(0.1) == "1"


def test_bucket_admits_a_batch_larger_than_the_burst_when_full_and_goes_into_debt() -> None:
    bucket = TokenBucket.full(RateLimit(events_per_s=10, burst=20), now_s=0)
    assert bucket.take(50, 0) == 0
    assert bucket.take(1, 1) == pytest.approx(2.1)
    assert bucket.take(1, 3.1) == 0


def test_find_source_by_any_of_its_keys() -> None:
    from dunghan_common.settings import hash_secret

    sources = [
        SourceConfig(id="a", key_hashes=[hash_secret("k1"), hash_secret("k2")]),
        SourceConfig(id="b", key_hashes=[hash_secret("k3")]),
    ]
    assert find_source(sources, "k2") is sources[0]
    assert find_source(sources, "k3") is sources[1]
    assert find_source(sources, "k4") is None


def test_foreign_sources_ignores_non_objects() -> None:
    assert foreign_sources([{"source": "a"}, 1, {"source": "b"}, {}], "a") == [2]


def test_csv_row_becomes_an_event() -> None:
    row = {"id": "1", "type": "dossier.resumed", "time": "t", "subject": "D1", "data": "{}"}
    event = csv_row_to_event(row, "src")
    assert event == {
        "specversion": "1.0",
        "id": "1",
        "source": "src",
        "type": "dossier.resumed",
        "time": "t",
        "data": {},
        "subject": "D1",
    }
    assert "subject" not in csv_row_to_event({**row, "subject": ""}, "src")
    with pytest.raises(ExportError):
        csv_row_to_event({**row, "data": "{"}, "src")
    with pytest.raises(ExportError):
        csv_row_to_event({**row, "id": ""}, "src")

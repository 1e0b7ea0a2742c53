"""Malformed and hostile requests to every API: each a clear 4xx, and the service keeps serving.

Ingest's own tests already cover its request gate (tests/integration/ingest/test_ingest_api.py:
broken JSON and NDJSON lines → 400, missing/unknown key → 401, foreign source → 403, body and
count caps → 413, wrong content type → 415, invalid events → 422 listing all, rate limit → 429,
stale/wrong/rotated signatures → 401; test_ingest_fuzz.py: schemathesis). Here are the classes
they do not cover for ingest, and the whole list for the three query APIs.

Each hostile request goes over a raw HTTP/1.1 connection followed by a health check on the same
connection: a 4xx keeps the connection open (an unhandled error closes it), except where the
status allows closing (413: the body was not read).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.system import OPS_TOKEN
from tests.faults.workload import dossier_events, write_figures
from tests.integration.security.conftest import SIGNED_KEY, SIGNED_SOURCE, SIGNING_SECRET
from tests.integration.security.keepalive import exchange

pytestmark = pytest.mark.asyncio(loop_scope="session")

HUGE = "A" * 100_000  # a body field
NESTED = "[" * 50_000 + "]" * 50_000
JSON = {"Content-Type": "application/json"}
# (name, service, method, path, request options, acceptable statuses)
Case = tuple[str, str, str, str, dict[str, Any], set[int]]
#: Statuses after which the server may close the connection (it did not read the whole request).
MAY_CLOSE = {0, 413, 414, 431}
QUERY_LISTS = {
    "sla": "/v1/dossiers",
    "sync-audit": "/v1/escalations",
    "notify": "/v1/notifications",
}


def common_cases() -> list[Case]:
    """The same hostile requests against each query API's list endpoint."""
    cases: list[Case] = []
    for service, path in QUERY_LISTS.items():
        cases += [
            ("limit not a number", service, "GET", f"{path}?limit=abc", {}, {422}),
            ("limit zero", service, "GET", f"{path}?limit=0", {}, {422}),
            ("limit over the maximum", service, "GET", f"{path}?limit=1001", {}, {422}),
            ("limit beyond int64", service, "GET", f"{path}?limit={'9' * 30}", {}, {422}),
            ("limit a float", service, "GET", f"{path}?limit=1.5", {}, {422}),
            ("cursor garbage", service, "GET", f"{path}?cursor=%25%25zz%00", {}, {400, 422}),
            ("unknown path", service, "GET", "/v1/nothing-here", {}, {404}),
            ("wrong method", service, "DELETE", path, {}, {405}),
            ("body where none is expected", service, "POST", path, {"json": {"a": 1}}, {405}),
            ("NUL byte in a path id", service, "GET", f"{path}/%00", {}, {400}),
            ("10 kB path id", service, "GET", f"{path}/{'x' * 10_000}", {}, {404, 405, 422}),
        ]
    return cases


def service_cases() -> list[Case]:
    """Each query API's own parameters and bodies."""
    resolve = "/v1/escalations/no-such-escalation/resolve"
    return [
        ("period month 13", "sla", "GET", "/v1/kpis?period=2025-13", {}, {400}),
        ("period one-digit month", "sla", "GET", "/v1/kpis?period=2025-8", {}, {400}),
        ("period with a time zone", "sla", "GET", "/v1/kpis?period=2025-08%2B25:00", {}, {400}),
        ("period as a timestamp", "sla", "GET", "/v1/kpis?period=2025-08-01T00:00:00Z", {}, {400}),
        ("period missing", "sla", "GET", "/v1/kpis", {}, {422}),
        ("unknown timeliness", "sla", "GET", "/v1/dossiers?timeliness=soon", {}, {400}),
        ("NUL in a dossier id", "sla", "GET", "/v1/dossiers/a%00b", {}, {400}),
        ("period month 00", "sync-audit", "GET", "/v1/corrections?period=2025-00", {}, {422}),
        (
            "period with an offset",
            "sync-audit",
            "GET",
            "/v1/corrections?period=2025-08%2B07",
            {},
            {422},
        ),
        ("unknown status", "sync-audit", "GET", "/v1/escalations?status=gone", {}, {422}),
        (
            "broken JSON",
            "sync-audit",
            "POST",
            resolve,
            {"content": b'{"note": ', "headers": JSON},
            {422},
        ),
        ("note of wrong type", "sync-audit", "POST", resolve, {"json": {"note": 5}}, {422}),
        ("unknown field", "sync-audit", "POST", resolve, {"json": {"note": "a", "x": 1}}, {422}),
        (
            "deeply nested body",
            "sync-audit",
            "POST",
            resolve,
            {"content": NESTED, "headers": JSON},
            {400, 422},
        ),
        ("note over 2000 chars", "sync-audit", "POST", resolve, {"json": {"note": HUGE}}, {422}),
        (
            "5 MB body",
            "sync-audit",
            "POST",
            resolve,
            {"json": {"note": "n" * 5_000_000}},
            {413, 422},
        ),
        (
            "text body",
            "sync-audit",
            "POST",
            resolve,
            {"content": b"note", "headers": {"Content-Type": "text/plain"}},
            {422},
        ),
        ("NUL in a dossier id", "sync-audit", "GET", "/v1/dossiers/a%00b/attribution", {}, {400}),
        ("letter id not a number", "notify", "GET", "/v1/notifications/abc/letter", {}, {422}),
        (
            "letter id beyond int64",
            "notify",
            "GET",
            f"/v1/notifications/{'9' * 25}/letter",
            {},
            {404, 422},
        ),
        ("negative letter id", "notify", "GET", "/v1/notifications/-1/letter", {}, {404, 422}),
        ("unknown kind", "notify", "GET", "/v1/notifications?kind=spam", {}, {422}),
        ("negative cursor", "notify", "GET", "/v1/notifications?cursor=-1", {}, {422}),
        (
            "NUL in a dossier filter",
            "notify",
            "GET",
            "/v1/notifications?dossier_id=a%00b",
            {},
            {400},
        ),
    ]


def _signed(body: bytes, msg_id: str, stamp: int) -> dict[str, str]:
    mac = hmac.new(SIGNING_SECRET.encode(), f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256)
    return {
        "Authorization": f"Bearer {SIGNED_KEY}",
        "Content-Type": "application/cloudevents+json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
    }


def _sla_cursor(due_at: str, dossier_id: str) -> str:
    raw = orjson.dumps([due_at, dossier_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _audit_cursor(opened_at: str, escalation_id: str) -> str:
    raw = f"{opened_at}|{escalation_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Well-formed cursors hiding what the database cannot take: NUL, times overflowing UTC.
FORGED = {
    "cursor hiding a NUL byte": ("2025-08-01T09:00:00+07:00", "a\x00b"),
    "cursor at year 0001 with an offset": ("0001-01-01T00:00:00+07:00", "x"),
    "cursor at year 9999 with an offset": ("9999-12-31T23:59:59-07:00", "x"),
}
EXTREME_PERIODS = ("0000-01", "0001-01", "9999-12")


def boundary_cases() -> list[Case]:
    """Values shaped right but beyond what the stores hold: each once answered 500."""
    cases: list[Case] = []
    for name, (at, key) in FORGED.items():
        sla = f"/v1/dossiers?cursor={_sla_cursor(at, key)}"
        audit = f"/v1/escalations?cursor={_audit_cursor(at, key)}"
        cases += [
            (name, "sla", "GET", sla, {}, {400}),
            (name, "sync-audit", "GET", audit, {}, {422}),
        ]
    for period in EXTREME_PERIODS:
        kpis, corrections = f"/v1/kpis?period={period}", f"/v1/corrections?period={period}"
        cases += [
            (f"period {period}", "sla", "GET", kpis, {}, {400}),
            (f"period {period}", "sync-audit", "GET", corrections, {}, {422}),
        ]
    for verb in ("acknowledge", "resolve"):
        path = f"/v1/escalations/{{escalation}}/{verb}"
        nul = {"json": {"note": "seen\x00"}}
        cases.append((f"NUL in a note to {verb}", "sync-audit", "POST", path, nul, {422}))
    stamp = {"content": b"[]", "headers": {**_signed(b"[]", "msg_long", 0), **JSON}}
    stamp["headers"]["webhook-timestamp"] = "9" * 400
    cases.append(("400-digit webhook-timestamp", "ingest", "POST", "/v1/events", stamp, {401}))
    return cases


def ingest_cases() -> list[Case]:
    """Ingest's classes not in its own tests: nesting, unknown fields, times and zones, types."""
    good = dossier_events(1, "bad" + uuid.uuid4().hex[:6])[0]

    def variant(**changes: Any) -> dict[str, Any]:
        event = orjson.loads(orjson.dumps(good))
        for dotted, value in changes.items():
            *parents, leaf = dotted.split("__")
            target = event
            for key in parents:
                target = target[key]
            target[leaf] = value
        return {
            "content": orjson.dumps(event),
            "headers": {**JSON, "Authorization": "Bearer dev-ingest-key"},
        }

    def raw(body: bytes | str) -> dict[str, Any]:
        return {"content": body, "headers": {**JSON, "Authorization": "Bearer dev-ingest-key"}}

    post = "/v1/events"
    return [
        ("deeply nested JSON", "ingest", "POST", post, raw(NESTED), {400, 422}),
        ("unknown field in data", "ingest", "POST", post, variant(data__evil="x"), {422}),
        ("unknown envelope attribute type", "ingest", "POST", post, variant(specversion=1), {422}),
        ("time without offset", "ingest", "POST", post, variant(time="2025-08-01T10:00:00"), {422}),
        (
            "time zone +25:00",
            "ingest",
            "POST",
            post,
            variant(time="2025-08-01T10:00:00+25:00"),
            {422},
        ),
        (
            "time 30 February",
            "ingest",
            "POST",
            post,
            variant(time="2025-02-30T10:00:00+07:00"),
            {422},
        ),
        ("time as epoch number", "ingest", "POST", post, variant(time=1754017200), {422}),
        ("boolean as a string", "ingest", "POST", post, variant(data__fee_required="yes"), {422}),
        ("id as an object", "ingest", "POST", post, variant(id={"x": 1}), {422}),
        (
            "1 MB string field",
            "ingest",
            "POST",
            post,
            variant(data__channel="x" * 1_000_000),
            {422},
        ),
        (
            "NUL byte in the subject",
            "ingest",
            "POST",
            post,
            variant(subject="a\u0000b"),
            {400, 422},
        ),
        ("wrong method", "ingest", "GET", post, {}, {405}),
        ("unknown path", "ingest", "POST", "/v1/event", raw(b"{}"), {404}),
    ]


CASES = common_cases() + service_cases() + boundary_cases() + ingest_cases()
RESULTS: dict[str, Any] = {}


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES])
async def test_hostile_request_gets_a_clear_4xx(planted, escalation_id, case: Case) -> None:
    name, service, method, path, options, expected = case
    port = planted.system.ports[service]
    headers = {"Authorization": f"Bearer {OPS_TOKEN}", **options.get("headers", {})}
    url = f"http://127.0.0.1:{port}{path.replace('{escalation}', escalation_id)}"
    request = httpx.Request(method, url, **{**options, "headers": headers})
    answer = await exchange(port, request)
    RESULTS[f"{service}: {name}"] = answer.status
    assert answer.status in expected, (answer.status, answer.body[:300])
    if answer.status not in MAY_CLOSE:
        assert answer.content_type.startswith("application/json")
        assert answer.kept_alive, "the server closed the connection after a 4xx"
    async with planted.system.client(service) as client:
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("service", [*QUERY_LISTS, "ingest"])
async def test_a_200_kb_request_line_is_refused(planted, service: str) -> None:
    # httpx refuses to send such a URL, so the request line goes over a raw socket.
    reader, writer = await asyncio.open_connection("127.0.0.1", planted.system.ports[service])
    query = b"unit_code=" + b"A" * 200_000
    writer.write(b"GET /v1/dossiers?" + query + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    status_line = (await asyncio.wait_for(reader.readline(), 10.0)).decode()
    writer.close()
    status = int(status_line.split()[1])
    RESULTS[f"{service}: 200 kB request line"] = status
    assert status in (400, 414, 431), status_line
    async with planted.system.client(service) as client:
        assert (await client.get("/healthz")).status_code == 200


async def test_services_still_serve_after_the_hostile_requests(planted) -> None:
    for service, path in QUERY_LISTS.items():
        async with planted.system.client(service) as client:
            assert (await client.get(path)).status_code == 200
    write_figures(
        "bad_input",
        {
            "cases": len(RESULTS),
            "per_service": {
                s: sum(1 for k in RESULTS if k.startswith(s + ":"))
                for s in (*QUERY_LISTS, "ingest")
            },
            "server_errors": sorted(k for k, v in RESULTS.items() if v >= 500),
            "statuses": RESULTS,
        },
    )
    assert not [k for k, v in RESULTS.items() if v >= 500]


async def test_a_replayed_signed_request_adds_nothing(planted) -> None:
    event = dossier_events(1, "replay" + uuid.uuid4().hex[:6])[0]
    event["source"] = SIGNED_SOURCE
    body = orjson.dumps(event)
    headers = _signed(body, "msg_" + uuid.uuid4().hex, int(time.time()))
    async with planted.system.client("ingest", token=None) as ingest:
        first = await ingest.post("/v1/events", content=body, headers=headers)
        replay = await ingest.post("/v1/events", content=body, headers=headers)
        tampered = await ingest.post(
            "/v1/events", content=body.replace(b"online", b"postal"), headers=headers
        )
        stale = _signed(body, "msg_" + uuid.uuid4().hex, int(time.time()) - 3600)
        old = await ingest.post("/v1/events", content=body, headers=stale)
    assert first.status_code == 202
    assert first.json() == {"accepted": 1, "duplicates": 0}
    assert replay.status_code == 202
    assert replay.json() == {"accepted": 0, "duplicates": 1}
    assert tampered.status_code == 401
    assert old.status_code == 401
    write_figures(
        "replayed_signature",
        {
            "first": first.json(),
            "replay": replay.json(),
            "tampered": tampered.status_code,
            "stale": old.status_code,
        },
    )

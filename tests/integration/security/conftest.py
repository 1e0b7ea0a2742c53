"""The system under attack: the four services as processes, with tokens of every role.

One session-wide `System` (fresh topics and databases on the shared stack) serves every security
test: hostile input, access by role and the personal-data scan. Its applicants and assigned
officials carry marker values so the scan can look for them everywhere.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
from dunghan_common.settings import hash_secret

from tests.e2e.journeys import Dossier, calendar, due, get_json, poll, push, vn
from tests.e2e.system import INGEST_KEY, OPS_TOKEN, System
from tests.faults.workload import UNITS, dossier_events, stream

UNIT_A, UNIT_B = UNITS
TOKENS = {
    "ops": OPS_TOKEN,
    "unit_a": "sec-unit-a-token",
    "unit_b": "sec-unit-b-token",
    "dost": "sec-dost-token",
}
#: The scrape token: /metrics answers only it (DUNGHAN_METRICS_TOKEN_HASH), not the API tokens.
METRICS_TOKEN = "sec-metrics-token"
SIGNED_SOURCE, SIGNED_KEY = "signed-src", "sec-signed-key"
SIGNING_SECRET = "sec-raw-signing-secret"
_RANDOM = uuid.uuid4()
#: Planted in every applicant: values distinct enough never to occur by chance elsewhere.
MARKERS = {
    "name": f"ZZMARKERNAME{_RANDOM.hex[:10]}",
    "email": f"zzmarker{_RANDOM.hex[10:20]}@example.vn",
    "phone": f"+84.{_RANDOM.int % 10**9:09d}",
}
#: Planted in every assignee: an official's name and email travel on `dossier-contacts` only.
OFFICIAL_MARKERS = {
    "name": f"ZZOFFICIALNAME{_RANDOM.hex[20:30]}",
    "email": f"zzofficial{_RANDOM.hex[:10]}@quangtri.gov.vn",
}
DOSSIERS = 12


def auth_env() -> dict[str, str]:
    """DUNGHAN_AUTH_TOKENS with one token per role (and a unit token per unit)."""
    tokens = [
        {"token_hash": hash_secret(TOKENS["ops"]), "role": "ops"},
        {"token_hash": hash_secret(TOKENS["unit_a"]), "role": "unit", "unit_code": UNIT_A},
        {"token_hash": hash_secret(TOKENS["unit_b"]), "role": "unit", "unit_code": UNIT_B},
        {"token_hash": hash_secret(TOKENS["dost"]), "role": "dost"},
    ]
    return {
        "DUNGHAN_AUTH_TOKENS": json.dumps(tokens),
        "DUNGHAN_METRICS_TOKEN_HASH": hash_secret(METRICS_TOKEN),
    }


def ingest_env() -> dict[str, str]:
    """The development source plus one that signs (Standard Webhooks)."""
    sources = [
        {"id": "igate-quangtri", "key_hashes": [hash_secret(INGEST_KEY)]},
        {
            "id": SIGNED_SOURCE,
            "key_hashes": [hash_secret(SIGNED_KEY)],
            "signing_secrets": [SIGNING_SECRET],
        },
    ]
    return {"DUNGHAN_INGEST_SOURCES": json.dumps(sources)}


@dataclass
class Planted:
    """The attacked system and the dossiers it holds."""

    system: System
    tag: str
    codes: list[str]


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def planted() -> AsyncIterator[Planted]:
    """The system, with dossiers of both units whose applicants carry MARKER, letters issued."""
    env = auth_env()
    system = System(
        extra_env={
            "ingest": {**env, **ingest_env()},
            "sla": env,
            "sync-audit": env,
            "notify": {
                **env,
                "DUNGHAN_NOTIFY_APPLICANT_OFFICE_HOURS_ONLY": "false",
                "DUNGHAN_NOTIFY_SCHEDULE_POLL_S": "1",  # the retention job, every second
            },
        }
    )
    tag = "sec" + uuid.uuid4().hex[:8]
    events = dossier_events(DOSSIERS, tag, applicant=MARKERS, official=OFFICIAL_MARKERS)
    try:
        await system.start()
        await stream([system], events, size=6, pause_s=0.0)
        await wait_for_letters(system, expected=DOSSIERS * 2 // 3)
        codes = sorted({e["subject"] for e in events})
        yield Planted(system, tag, codes)
    finally:
        await system.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def escalation_id(planted: Planted) -> str:
    """An open escalation of the planted system: a late dossier a `system.error` hit."""
    cal = calendar()
    dossier = Dossier("esc", unit=UNIT_A)
    received = vn(2025, 8, 5, 9)
    late = cal.add_working_days(due(received, 3), 1)
    events = [
        dossier.received(received),
        dossier.event("system.error", vn(2025, 8, 6, 10)),
        dossier.result_ready(late),
    ]
    await push(planted.system, events)

    async def fetch() -> list[dict]:
        page = await get_json(planted.system, "sync-audit", "/v1/escalations", limit=1000)
        return [e for e in page["items"] if e["dossier_id"] == dossier.code]

    return str((await poll(fetch, bool, what="the planted escalation"))[0]["id"])


async def wait_for_letters(system: System, expected: int, limit_s: float = 90.0) -> None:
    """Wait until apology notifications exist for ``expected`` dossiers and have been sent."""
    deadline = time.monotonic() + limit_s
    seen: Counter[tuple[str, str, str]] = Counter()
    async with system.client("notify") as client:
        while time.monotonic() < deadline:
            page = (await client.get("/v1/notifications", params={"kind": "apology"})).json()
            sent = {n["dossier_id"] for n in page["items"] if n["status"] == "sent"}
            if len(sent) >= expected:
                return
            seen = Counter(
                (n["recipient_role"], n["status"], str(n.get("last_error"))[:80])
                for n in page["items"]
            )
            await asyncio.sleep(1.0)
    raise TimeoutError(
        f"fewer than {expected} dossiers got a sent apology in {limit_s} s: {dict(seen)}"
    )

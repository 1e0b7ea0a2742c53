"""Applicants' and officials' names, phones and emails reach only the contacts topic and the letter.

Marker values planted in every applicant and every assignee flow through ingest, sla, sync-audit
and notify (the letters are issued and sent); then every log line of the four processes, every
/metrics, every API answer other than the letter, every topic but `dossier-contacts` is searched,
including every `.dlq` topic: a contact notify cannot apply (planted) is dead-lettered sealed,
never in clear; `dossier-events` carries every assignee by id only.
"""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from tests.faults.workload import (
    dossier_events,
    header,
    received_at,
    topic_records,
    write_figures,
)
from tests.integration.security.conftest import MARKERS, METRICS_TOKEN, OFFICIAL_MARKERS

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVICES = ("ingest", "sla", "sync-audit", "notify")


def needles() -> dict[str, bytes]:
    """What must not appear: each marker, and the random part of each on its own."""
    name, email, phone = MARKERS["name"], MARKERS["email"], MARKERS["phone"]
    found = {"name": name, "email": email, "phone": phone}
    found |= {"name_part": name[-10:], "email_part": email[8:18], "phone_digits": phone[4:]}
    official_name, official_email = OFFICIAL_MARKERS["name"], OFFICIAL_MARKERS["email"]
    found |= {"official_name": official_name, "official_email": official_email}
    found |= {
        "official_name_part": official_name[-10:],
        "official_email_part": official_email[10:20],
    }
    return {k: v.encode() for k, v in found.items()}


def leaks(where: str, blob: bytes) -> list[str]:
    """The markers found in one blob (case-insensitive), named with where they were."""
    lower = blob.lower()
    return [f"{where}: {k}" for k, v in needles().items() if v.lower() in lower]


async def api_answers(planted) -> dict[str, bytes]:
    """Every query answer other than the letter, as ops (who sees the most)."""
    system, period = planted.system, received_at().strftime("%Y-%m")
    got: dict[str, bytes] = {}
    gets = {
        "sla": ["/v1/dossiers?limit=1000", f"/v1/kpis?period={period}"]
        + [f"/v1/dossiers/{c}" for c in planted.codes],
        "sync-audit": ["/v1/escalations?limit=1000", f"/v1/corrections?period={period}"]
        + [f"/v1/dossiers/{c}/attribution" for c in planted.codes],
        "notify": ["/v1/notifications?limit=1000"]
        + [f"/v1/notifications?dossier_id={c}" for c in planted.codes],
        "ingest": [],
    }
    for service, paths in gets.items():
        async with system.client(service) as client:
            for path in [*paths, "/readyz", "/healthz", "/openapi.json"]:
                got[f"{service} {path}"] = (await client.get(path)).content
            scrape = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert scrape.status_code == 200
            got[f"{service} /metrics"] = scrape.content
            if service == "sync-audit":
                csv = await client.get(
                    f"/v1/corrections?period={period}", headers={"Accept": "text/csv"}
                )
                got["sync-audit corrections.csv"] = csv.content
    return got


async def rejected_answers(planted) -> dict[str, bytes]:
    """Ingest's answers to invalid events that carry the markers: errors must not echo them."""
    event = dossier_events(1, "leak" + uuid.uuid4().hex[:6], applicant=MARKERS)[0]
    event["data"]["applicant"]["kind"] = MARKERS["name"]
    event["data"]["channel"] = MARKERS["email"]
    bad_phone = orjson.loads(orjson.dumps(event))
    bad_phone["data"]["applicant"]["phone"] = MARKERS["phone"] + "x"
    got: dict[str, bytes] = {}
    async with planted.system.client("ingest", token="dev-ingest-key") as ingest:
        for name, body in (("invalid kind", event), ("invalid phone", bad_phone)):
            answer = await ingest.post(
                "/v1/events",
                content=orjson.dumps(body),
                headers={"Content-Type": "application/cloudevents+json"},
            )
            assert answer.status_code == 422, answer.text
            got[f"ingest 422 {name}"] = answer.content
    return got


async def test_markers_appear_only_in_contacts_and_letters(planted) -> None:
    system = planted.system
    # Positive controls first: the markers did flow, so a scan that finds nothing means something.
    contacts = await topic_records(system.kafka_bootstrap, system.topics["contacts"])
    assert any(leaks("contacts", r.value or b"") for r in contacts)
    official = [r for r in contacts if (r.key or b"").startswith(b"official:")]
    assert any(OFFICIAL_MARKERS["email"].encode() in (r.value or b"") for r in official)
    letter = await _one_letter(planted)
    assert MARKERS["name"] in letter, "the letter names the applicant"
    sealed = await _contact_dead_letter(planted)
    assert header(sealed, "dlq_sealed") == "1", "the contact's dead letter is sealed"

    answers = {**await api_answers(planted), **await rejected_answers(planted)}
    await asyncio.sleep(1.0)  # the processes flush their last log lines
    found = [hit for where, blob in answers.items() for hit in leaks(where, blob)]
    for service in SERVICES:
        found += leaks(f"{service} log", system.log(service).encode())
    scanned = {"answers": len(answers), "log_bytes": 0, "records": 0, "topics": 0}
    scanned["log_bytes"] = sum(len(system.log(s)) for s in SERVICES)
    for topic in system.topics.values():
        for name in (topic, f"{topic}.dlq"):
            if name == system.topics["contacts"]:
                continue
            records = await topic_records(system.kafka_bootstrap, name)
            scanned["records"] += len(records)
            scanned["topics"] += 1
            for r in records:
                blob = (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers or ())
                found += leaks(f"topic {name}@{r.partition}:{r.offset}", blob)
    write_figures("personal_data", {**scanned, "contacts_records": len(contacts), "leaks": found})
    assert scanned["records"] > 0
    assert scanned["log_bytes"] > 0
    assert not found, found


async def _contact_dead_letter(planted):
    """Put a contact notify cannot apply (markers in clear) on its topic; its dead letter."""
    system = planted.system
    key = f"000.00.12.H50-{planted.tag}-dlq".encode()
    value = orjson.dumps({"dossier_code": key.decode(), "kind": "citizen", **MARKERS})
    producer = AIOKafkaProducer(bootstrap_servers=system.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(system.topics["contacts"], value, key=key)
    finally:
        await producer.stop()
    for _ in range(60):
        dead = await topic_records(system.kafka_bootstrap, f"{system.topics['contacts']}.dlq")
        mine = [r for r in dead if r.key == key]
        if mine:
            return mine[0]
        await asyncio.sleep(1.0)
    raise AssertionError("the planted contact was not dead-lettered")


async def _one_letter(planted) -> str:
    async with planted.system.client("notify") as notify:
        items = (await notify.get("/v1/notifications", params={"kind": "apology"})).json()["items"]
        return (await notify.get(f"/v1/notifications/{items[0]['id']}/letter")).text

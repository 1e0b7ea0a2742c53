"""The fault runs' workload: dossier events, a retrying sender that counts, topic and state reads.

Every figure RELIABILITY.md quotes comes from here: events sent, answered 202, duplicates the
ingest reported, retries after 503 or a dropped connection, and what the topic finally holds.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import fcntl
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from dunghan_common.events import EXAMPLES

from tests.e2e.system import INGEST_KEY, ROOT, System

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = ("000.00.12.H50", "000.00.31.H50")
REPORT = ROOT / ".stack" / "reports" / "reliability.json"


def _event(kind: str, code: str, at: dt.datetime, data: dict[str, Any] | None = None) -> dict:
    event = copy.deepcopy(EXAMPLES[kind])
    event.update(id=str(uuid.uuid4()), subject=code, time=at.astimezone(TZ).isoformat())
    if data is not None:
        event["data"] = {**event["data"], **data}
    return event


def received_at() -> dt.datetime:
    """When the workload's dossiers were received: 09:00 of a Monday to Thursday, 4 weeks ago."""
    received = (dt.datetime.now(TZ) - dt.timedelta(days=28)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return received - dt.timedelta(days=max(0, received.weekday() - 3))


def dossier_events(
    count: int,
    tag: str,
    applicant: dict[str, str] | None = None,
    official: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Events of ``count`` dossiers received four weeks ago: a third late, a third open and
    overdue (both earn an apology), a third on time; ``applicant`` overrides name/email/phone,
    ``official`` the assignee's name/email (on reception and assignment)."""
    received = received_at()
    events: list[dict[str, Any]] = []
    for i in range(count):
        unit = UNITS[i % 2]
        code = f"{unit}-{tag}-{i:05d}"
        person = {"kind": "citizen", "name": "Nguyễn Văn An", "email": "an@example.vn"}
        person.update({"phone": "0912345678", **(applicant or {})})
        data: dict[str, Any] = {"unit_code": unit, "applicant": person}
        assignee = {**EXAMPLES["dossier.assigned"]["data"]["assignee"], **(official or {})}
        if official:
            data["assignee"] = assignee
        got = _event("dossier.received", code, received + dt.timedelta(minutes=i % 300), data)
        got["data"].pop("due_at")  # judged by the computed due date, four weeks back
        events.append(got)
        assigned = {"unit_code": unit}  # the example's unit would move every dossier to one unit
        if official:
            assigned["assignee"] = assignee
        events.append(_event("dossier.assigned", code, received + dt.timedelta(hours=1), assigned))
        if i % 3 == 0:
            events.append(_event("dossier.result_ready", code, received + dt.timedelta(days=12)))
        elif i % 3 == 2:
            events.append(_event("dossier.result_ready", code, received + dt.timedelta(hours=3)))
    return events


def phases(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Receptions and assignments first, ends second.

    Past-due timers fire at the first tick after a reception is applied, so whether a dossier's
    end lands before or after that tick would change which alerts fire. Sending the ends only
    once the first phase is settled makes the alerts, and so the final state, a function of the
    events alone: the same in a clean pass and in a faulted one.
    """
    first = [e for e in events if e["type"] in ("dossier.received", "dossier.assigned")]
    return first, [e for e in events if e not in first]


async def converge(system: System, tag: str, expected: dict, limit_s: float) -> dict:
    """Poll a system's state of ``tag`` until it equals ``expected`` or time runs out."""
    deadline = time.monotonic() + limit_s
    got = await final_state(system, tag)
    while got != expected and time.monotonic() < deadline:
        await asyncio.sleep(2.0)
        got = await final_state(system, tag)
    return got


def batches(events: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Events in requests of ``size``, in order."""
    return [events[i : i + size] for i in range(0, len(events), size)]


@dataclass
class SendFigures:
    """What a sender saw."""

    events_sent: int = 0
    events_accepted: int = 0
    duplicates_reported: int = 0
    requests: int = 0
    retries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    accepted_ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The figures without the id list."""
        out = asdict(self)
        out.pop("accepted_ids")
        out["statuses"] = dict(self.statuses)
        return out


async def send_batch(
    client: httpx.AsyncClient, batch: list[dict[str, Any]], figures: SendFigures, limit_s: float
) -> None:
    """POST one batch until it is answered 202 (503, 5xx and dropped connections are retried)."""
    body = orjson.dumps(batch)
    headers = {
        "Authorization": f"Bearer {INGEST_KEY}",
        "Content-Type": "application/cloudevents-batch+json",
    }
    deadline = time.monotonic() + limit_s
    figures.events_sent += len(batch)
    while True:
        figures.requests += 1
        try:
            answer = await client.post("/v1/events", content=body, headers=headers)
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            answer, status = None, type(exc).__name__
        figures.statuses[status] += 1
        if answer is not None and answer.status_code == 202:
            got = answer.json()
            figures.events_accepted += got["accepted"]
            figures.duplicates_reported += got["duplicates"]
            figures.accepted_ids.extend(e["id"] for e in batch)
            return
        if answer is not None and answer.status_code < 500 and answer.status_code != 429:
            raise AssertionError(f"batch refused {answer.status_code}: {answer.text[:500]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"batch not accepted in {limit_s} s (last {status})")
        figures.retries += 1
        await asyncio.sleep(0.5)


async def stream(
    systems: list[System], events: list[dict[str, Any]], size: int, pause_s: float
) -> list[SendFigures]:
    """Send the same batches to every system's ingest, pausing between batches."""
    figures = [SendFigures() for _ in systems]
    clients = [httpx.AsyncClient(base_url=s.url("ingest"), timeout=30.0) for s in systems]
    try:
        for batch in batches(events, size):
            await asyncio.gather(
                *(send_batch(c, batch, f, 120.0) for c, f in zip(clients, figures, strict=True))
            )
            await asyncio.sleep(pause_s)
    finally:
        for client in clients:
            await client.aclose()
    return figures


async def topic_records(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on a topic, read from the beginning of each partition to its current end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        found: list[ConsumerRecord[bytes, bytes]] = []
        while any([await consumer.position(p) < ends[p] for p in parts]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(records)
        return found
    finally:
        await consumer.stop()


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    """One header of a record, decoded."""
    return next((v.decode() for k, v in record.headers or () if k == name), None)


async def topic_ids(bootstrap: str, topic: str) -> Counter[str]:
    """How many times each CloudEvents id (``ce_id`` header) is on a topic."""
    found = await topic_records(bootstrap, topic)
    return Counter(header(r, "ce_id") or f"offset:{r.partition}:{r.offset}" for r in found)


async def rows(system: System, service: str, query: str) -> list[tuple[Any, ...]]:
    """The rows a query returns in one service's database, as sorted tuples."""
    conn = await asyncpg.connect(system.pg_dsn(system.databases[service]))
    try:
        found = await conn.fetch(query)
    finally:
        await conn.close()
    return sorted(
        tuple(json.dumps(v, default=str) if isinstance(v, list | dict) else v for v in r.values())
        for r in found
    )


STATE_QUERIES = {
    "sla": "SELECT dossier_id, status, due_at, finished_at, clock_state, paused_seconds,"
    " finished_timeliness, flags::text, event_count FROM sla_dossiers",
    "sla_fired": "SELECT dossier_id, kind, occasion, count(*) FROM sla_fired"
    " GROUP BY dossier_id, kind, occasion",
    "sync-audit": "SELECT dossier_id, cause, local_timeliness, portal_overdue FROM attributions",
    "notify_letters": "SELECT dossier_id, due_at, cause, count(*) FROM letters"
    " GROUP BY dossier_id, due_at, cause",
    # Who got each letter and escalation, not by which channels: the channels a letter goes
    # by are those of the applicant's contact known when it is queued, and the contact travels
    # on another topic, whose order against the alerts a kill can change. Reminders and
    # notices follow the intermediate states a dossier is seen in, which batching changes.
    "notify_jobs": "SELECT dossier_id, kind, recipient_role, count(DISTINCT channel) > 0"
    " FROM notifications WHERE dossier_id IS NOT NULL AND kind IN ('apology', 'escalation')"
    " GROUP BY dossier_id, kind, recipient_role",
}


async def final_state(system: System, tag: str) -> dict[str, list[tuple[Any, ...]]]:
    """The state of the dossiers whose code carries ``tag``, in every service's database."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name, query in STATE_QUERIES.items():
        service = name.split("_")[0]
        out[name] = [r for r in await rows(system, service, query) if f"-{tag}-" in str(r[0])]
    return out


async def quiescent(
    system: System, tag: str, settle_s: float = 3.0, limit_s: float = 120.0
) -> dict:
    """Poll the state until it stops changing for ``settle_s``; return it."""
    deadline = time.monotonic() + limit_s
    last = await final_state(system, tag)
    while time.monotonic() < deadline:
        await asyncio.sleep(settle_s)
        now = await final_state(system, tag)
        if now == last and now["notify_letters"]:
            return now
        last = now
    return last


def write_figures(section: str, figures: dict[str, Any]) -> None:
    """Merge one test's figures into .stack/reports/reliability.json.

    Locked: under pytest-xdist two workers (the security and fault tiers) may merge at once.
    """
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
        data[section] = {
            **figures,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        REPORT.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def rng(seed: int | None = None) -> random.Random:
    """A seeded random source; the seed goes into the figures so a run can be replayed."""
    return random.Random(seed)

"""One letter per dossier across redelivery, replay and a crash between sending and recording.

Real broker, real PostgreSQL, a real SMTP server (aiosmtpd) and a local HTTP SMS gateway.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.events import event_types as t
from dunghan_common.events.findings import BreachAttributed
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics, Record
from dunghan_common.settings import DatabaseSettings, Environment, KafkaSettings
from notify import bootstrap
from notify.adapters.kafka import NotifyHandler
from notify.adapters.tables import letters, notifications
from notify.domain.models import Job
from notify.settings import NotifyOptions, NotifySettings
from prometheus_client import CollectorRegistry
from pypdf import PdfReader
from sqlalchemy import func, select

from tests import support
from tests.integration.notify.notify_events import alert, contact, facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
LOCAL_NOON = datetime(2025, 8, 7, 2, 0, tzinfo=UTC)  # Thursday 09:00 in Quảng Trị


class Crash(Exception):
    """Stands for the process dying after the send, before the outcome is recorded."""


async def _topics(topic_factory) -> dict[str, str]:
    names = ("alerts", "findings", "contacts", "events")
    return {n: await topic_factory(f"notify_{n}", partitions=2) for n in names}


def _settings(db: str, topics: dict[str, str], smtp_port: int, gw, group: str) -> NotifySettings:
    options = NotifyOptions(
        alerts_topic=topics["alerts"],
        findings_topic=topics["findings"],
        contacts_topic=topics["contacts"],
        events_topic=topics["events"],
        group_id=group,
        channels="real",
        smtp_port=smtp_port,
        sms_url=gw.url("/v1/sms"),
        dost_webhook_url=gw.url("/v1/webhook"),
        backoff_base_s=1,
        max_attempts=3,
    )
    return NotifySettings(
        env=Environment.TEST,
        db=DatabaseSettings(url=db),
        kafka=KafkaSettings(bootstrap_servers=support.kafka_bootstrap()),
        notify=options,
    )


async def _consume_all(container, group: str, expected: int) -> None:
    """Run a consumer group until it has handled ``expected`` records."""
    seen = 0
    inner = NotifyHandler(bootstrap.topics(container.settings), bootstrap.intake(container))

    async def counting(records: Sequence[Record]) -> None:
        nonlocal seen
        await inner(records)
        seen += len(records)

    dlq = KafkaPublisher(container.settings.kafka)
    await dlq.start()
    consumer = BatchConsumer(
        container.settings.kafka,
        bootstrap.topics(container.settings).all(),
        group,
        counting,
        dlq,
        ConsumerMetrics(CollectorRegistry()),
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(30):
            while seen < expected:
                await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dlq.stop()


async def _count(container, stmt) -> int:
    async with container.engine.connect() as conn:
        return int(await conn.scalar(stmt))


async def test_one_letter_across_redelivery_replay_and_crash(
    notify_db, topic_factory, smtp, gateway, calendar
) -> None:
    topics = await _topics(topic_factory)
    clock = FakeClock(LOCAL_NOON)
    settings = _settings(notify_db, topics, smtp.port, gateway, support.unique("g"))
    c = bootstrap.build(settings, clock=clock, calendar=calendar)
    dossier = support.unique("000.00.12.H50-250801")
    received, due = LOCAL_NOON - timedelta(days=6), LOCAL_NOON - timedelta(days=1)
    attributed = BreachAttributed(
        dossier=facts(due, received),
        cause="official_delay",
        revision=1,
        local_timeliness="overdue",
        portal_overdue=True,
        evidence=[],
        attributed_at=LOCAL_NOON,
    )
    finding = alert(
        topics["findings"],
        t.AUDIT_BREACH_ATTRIBUTED,
        dossier,
        attributed.model_dump(mode="json"),
        LOCAL_NOON,
        event_id="same-id",
    )
    publisher = KafkaPublisher(settings.kafka)
    await publisher.start()
    try:
        await publisher.publish([contact(topics["contacts"], dossier, received)])
        await publisher.publish([finding, finding])  # redelivery: the same alert twice
    finally:
        await publisher.stop()

    await _consume_all(c, settings.notify.group_id, expected=3)
    await _consume_all(c, support.unique("replay"), expected=3)  # a second group replays all
    assert (
        await _count(
            c, select(func.count()).select_from(letters).where(letters.c.dossier_id == dossier)
        )
        == 1
    )
    jobs = await _count(c, select(func.count()).select_from(notifications))
    assert jobs == 4  # applicant email + SMS, the service centre's and the unit's copies

    crashed: set[int] = set()

    async def crash_once(job: Job) -> None:
        if job.id not in crashed:
            crashed.add(job.id)
            raise Crash(job.id)

    # At restart the crashed worker's lease is over (lease 0); one job per round.
    options = settings.notify.model_copy(update={"sending_lease_s": 0, "deliver_batch": 1})
    restarted = replace(c, settings=settings.model_copy(update={"notify": options}))
    rounds = 0
    while rounds < 20:  # each round is a fresh worker: a restart after the crash
        rounds += 1
        worker = bootstrap.deliverer(restarted, after_send=crash_once)
        try:
            if await worker.run_once() == 0:
                break
        except Crash:
            continue

    ids = smtp.message_ids()  # each email crashed once after its send: sent twice, same id
    assert len(ids) == 6
    assert len(set(ids)) == 3
    sms = [r for r in gateway.requests if r[0] == "/v1/sms"]
    assert len(sms) == 2
    assert sms[0][1] == sms[1][1]
    assert len([k for k, b in gateway.delivered.items() if b.get("to") == "0912345678"]) == 1
    sent = select(func.count()).select_from(notifications).where(notifications.c.status == "sent")
    assert await _count(c, sent) == 4
    assert await _count(c, select(func.count()).select_from(letters)) == 1

    pdf = next(
        p for m in smtp.messages for p in m.walk() if p.get_content_type() == "application/pdf"
    )
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages
    )
    assert "Nguyễn Văn An" in text
    assert "xin lỗi" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    await c.engine.dispose()

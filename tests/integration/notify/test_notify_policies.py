"""Office hours, escalations, reschedules, retention, retries and the API, on the real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import httpx
import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.settings import (
    ApiToken,
    AuthSettings,
    DatabaseSettings,
    Environment,
    KafkaSettings,
    Role,
    hash_secret,
)
from notify import bootstrap
from notify.adapters.tables import letters, notifications
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from sqlalchemy import func, select

from tests import support
from tests.faults.workload import topic_records
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
THU_22H = datetime(2025, 8, 7, 15, 0, tzinfo=UTC)  # Thursday 22:00 in Quảng Trị
FRI_07H = datetime(2025, 8, 8, 0, 0, tzinfo=UTC)  # Friday 07:00, the next opening
OPS = "dev-ops-token"


def _container(db, smtp, gateway, calendar, clock, **options):
    opts = NotifyOptions(
        channels="real",
        smtp_port=smtp.port,
        sms_url=gateway.url("/v1/sms"),
        dost_webhook_url=gateway.url("/v1/webhook"),
        backoff_base_s=60,
        max_attempts=2,
        **options,
    )
    settings = NotifySettings(env=Environment.TEST, db=DatabaseSettings(url=db), notify=opts)
    return bootstrap.build(settings, clock=clock, calendar=calendar)


def _facts(dossier: str, due: datetime) -> Facts:
    return notify_facts(dossier, due - timedelta(days=5), due)


async def _scalar(cont, stmt):
    async with cont.engine.connect() as conn:
        return await conn.scalar(stmt)


async def test_reminder_at_22h_waits_for_the_next_opening_escalation_does_not(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(THU_22H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    dossier = support.unique("D")
    facts = _facts(dossier, THU_22H - timedelta(hours=1))
    await bootstrap.intake(cont).apply(
        [
            c.Breached(facts, THU_22H),
            c.EscalationOpened("esc-1", facts, "software_error", "lỗi đồng bộ trạng thái"),
        ]
    )
    worker = bootstrap.deliverer(cont)
    assert await worker.run_once() == 1  # the escalation, at 22:00
    assert [r[0] for r in gateway.requests] == ["/v1/webhook"]
    assert smtp.messages == []
    waiting = await bootstrap.scheduler(cont).waiting()
    assert waiting == {"reminder": 1}
    clock.set(FRI_07H - timedelta(seconds=1))
    assert await worker.run_once() == 0
    clock.set(FRI_07H)
    assert await worker.run_once() == 1
    assert smtp.messages[0]["To"] == "binh.tt@quangtri.gov.vn"
    assert "quá hạn" in str(make_header(decode_header(smtp.messages[0]["Subject"])))
    await cont.engine.dispose()


async def test_reschedule_is_held_until_facts_arrive_and_sync_error_writes_nothing(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(FRI_07H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    intake = bootstrap.intake(cont)
    dossier, other = support.unique("D"), support.unique("D")
    new_due = FRI_07H + timedelta(days=7)
    await intake.apply([c.Rescheduled(dossier, new_due, "Cần xác minh thực địa")])
    assert await _scalar(cont, select(func.count()).select_from(letters)) == 0
    await intake.apply([c.FactsSeen(_facts(dossier, FRI_07H - timedelta(days=1)))])
    await intake.apply(
        [c.Attributed(_facts(dossier, FRI_07H - timedelta(days=1)), Cause.SOFTWARE_ERROR)]
    )
    row = await _rows(
        cont,
        select(letters.c.reason, letters.c.new_due_at, letters.c.number).where(
            letters.c.dossier_id == dossier
        ),
    )
    assert len(row) == 1
    # The software error found later rewrites the still-queued letter's reason (it must be
    # true, docs/domain.md §5); the source's new date stays (see test_notify_revisions).
    assert row[0].reason.startswith("Do lỗi của phần mềm")
    assert row[0].new_due_at == new_due
    await intake.apply([c.FactsOnly(_facts(other, FRI_07H))])  # sync_error: facts only
    assert (
        await _scalar(
            cont, select(func.count()).select_from(letters).where(letters.c.dossier_id == other)
        )
        == 0
    )
    await cont.engine.dispose()


async def _rows(cont, stmt):
    async with cont.engine.connect() as conn:
        return (await conn.execute(stmt)).all()


async def test_failing_sms_is_retried_with_backoff_then_failed(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(FRI_07H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    dossier = support.unique("D")
    gateway.failing.add("0999999999")
    intake = bootstrap.intake(cont)
    await intake.apply(
        [
            c.ContactReceived(dossier, {"name": "B", "phone": "0999999999"}, FRI_07H),
            c.Attributed(_facts(dossier, FRI_07H - timedelta(days=1)), Cause.OFFICIAL_DELAY),
        ]
    )
    worker = bootstrap.deliverer(cont)
    assert await worker.run_once() == 3  # SMS to the applicant, email copies (centre, unit)
    status = select(notifications.c.status).where(
        notifications.c.channel == "sms", notifications.c.dossier_id == dossier
    )
    assert await _scalar(cont, status) == "pending"
    clock.advance(timedelta(seconds=59))
    assert await worker.run_once() == 0  # backoff not over
    clock.advance(timedelta(seconds=1))
    assert await worker.run_once() == 1
    assert await _scalar(cont, status) == "failed"
    await cont.engine.dispose()


async def test_api_lists_without_contacts_and_serves_the_letter(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(FRI_07H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    tokens = AuthSettings(tokens=[ApiToken(token_hash=hash_secret(OPS), role=Role.OPS)])
    cont = replace(cont, settings=cont.settings.model_copy(update={"auth": tokens}))
    dossier = support.unique("D")
    facts = _facts(dossier, FRI_07H - timedelta(days=1))
    await bootstrap.intake(cont).apply(
        [
            c.ContactReceived(
                dossier,
                {"name": "Nguyễn Văn An", "email": "an@example.vn", "phone": "0912345678"},
                FRI_07H,
            ),
            c.Attributed(facts, Cause.SOFTWARE_ERROR),
            c.Breached(facts, FRI_07H),  # overdue: the "due within 1 day" reminder never goes
        ]
    )
    transport = httpx.ASGITransport(app=bootstrap.app(cont))
    auth = {"Authorization": f"Bearer {OPS}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
        assert (await client.get("/v1/notifications")).status_code == 401
        listed = await client.get("/v1/notifications", params={"dossier_id": dossier}, headers=auth)
        assert listed.status_code == 200
        assert "an@example.vn" not in listed.text
        assert "0912345678" not in listed.text
        items = listed.json()["items"]
        assert {i["kind"] for i in items} == {"apology", "reminder"}
        apology = next(i for i in items if i["kind"] == "apology")
        reminder = next(i for i in items if i["kind"] == "reminder")
        html = await client.get(f"/v1/notifications/{apology['id']}/letter", headers=auth)
        assert html.headers["content-type"].startswith("text/html")
        for needed in (
            "Nguyễn Văn An",
            "lỗi của phần mềm",
            "KT. GIÁM ĐỐC",
            dossier,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Số: 01/PXL-SXD",
        ):
            assert needed in html.text
        pdf = await client.get(
            f"/v1/notifications/{apology['id']}/letter",
            headers={**auth, "Accept": "application/pdf"},
        )
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        missing = await client.get(f"/v1/notifications/{reminder['id']}/letter", headers=auth)
        assert missing.status_code == 404
    await cont.engine.dispose()


async def test_purging_contacts_tombstones_their_dead_letters(
    notify_db, smtp, gateway, calendar
) -> None:
    """Sealed dead letters of a dossier's contacts go with the contacts (docs/contract.md §2)."""
    topic = support.unique("contacts")
    await support.create_topics([f"{topic}.dlq"], 1)
    clock = FakeClock(FRI_07H)
    cont = _container(
        notify_db, smtp, gateway, calendar, clock, contacts_retention_days=30, contacts_topic=topic
    )
    publisher = KafkaPublisher(KafkaSettings(bootstrap_servers=support.kafka_bootstrap()))
    await publisher.start()
    try:
        dossier = support.unique("D")
        fields = {"name": "Nguyễn Văn An", "email": "an@example.vn"}
        facts = _facts(dossier, FRI_07H + timedelta(days=5))
        await bootstrap.intake(cont).apply(
            [
                c.ContactReceived(dossier, fields, FRI_07H),
                c.Finished(facts, FRI_07H + timedelta(days=1), "early"),
            ]
        )
        clock.set(FRI_07H + timedelta(days=31))  # the need ended 30 days ago
        assert await bootstrap.scheduler(cont, publisher).purge_contacts() == 1
        records = await topic_records(support.kafka_bootstrap(), f"{topic}.dlq")
        assert [(r.key, r.value) for r in records] == [(dossier.encode(), None)]
    finally:
        await publisher.stop()
        await cont.engine.dispose()
        await support.delete_topics([f"{topic}.dlq"])

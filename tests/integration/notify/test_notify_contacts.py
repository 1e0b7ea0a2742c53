"""Contacts until the end of the need, deliveries owned by their claimer, key rotation: real
database, real SMTP server (aiosmtpd), the local SMS and webhook gateway."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet
from dunghan_common.calendar import load_calendar
from dunghan_common.clock import FakeClock, SystemClock
from dunghan_common.settings import DatabaseSettings, Environment
from notify import bootstrap
from notify.adapters.crypto import FernetSealer
from notify.adapters.tables import contacts, notifications
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from notify.usecases.reseal import reseal_all
from pydantic import SecretStr
from sqlalchemy import func, select, update

from tests import support
from tests.e2e.system import free_port
from tests.integration.notify.conftest import SmtpSink
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
#: Now, at the next opening of the office (08:00 local, UTC+7), so the test never depends on the
#: hour it runs at: the real clock's date, with the offsets the scenario needs.
TODAY = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)


def _container(db, smtp_port, gateway, calendar, clock, **options: Any):
    opts = NotifyOptions(
        channels="real",
        smtp_port=smtp_port,
        sms_url=gateway.url("/v1/sms"),
        dost_webhook_url=gateway.url("/v1/webhook"),
        applicant_office_hours_only=False,
        **options,
    )
    settings = NotifySettings(env=Environment.TEST, db=DatabaseSettings(url=db), notify=opts)
    return bootstrap.build(settings, clock=clock, calendar=calendar)


def _facts(dossier: str, received: datetime, due: datetime) -> Facts:
    return notify_facts(dossier, received, due)


async def _scalar(cont, stmt):
    async with cont.engine.connect() as conn:
        return await conn.scalar(stmt)


def _contact_of(dossier: str):
    return select(func.count()).select_from(contacts).where(contacts.c.dossier_id == dossier)


async def test_an_open_dossier_received_200_days_ago_gets_its_letter_and_keeps_its_contact(
    notify_db, smtp, gateway
) -> None:
    clock = FakeClock(TODAY)
    # Intake reads the calendar at its clock's instant: one spanning the test's 430 days.
    calendar = load_calendar(
        Path("config/calendar"), first_year=TODAY.year - 1, last_year=TODAY.year + 2
    )
    cont = _container(notify_db, smtp.port, gateway, calendar, clock, contacts_retention_days=30)
    dossier, phone = support.unique("D"), "0912000200"
    received = TODAY - timedelta(days=200)
    facts = _facts(dossier, received, received + timedelta(days=20))
    fields = {"kind": "citizen", "name": "Nguyễn Văn An", "email": "an200@example.vn"}
    intake = bootstrap.intake(cont)
    await intake.apply(
        [
            c.FactsSeen(facts),
            c.ContactReceived(dossier, fields | {"phone": phone}, received),
            c.Attributed(facts, Cause.OFFICIAL_DELAY),
        ]
    )
    worker, jobs = bootstrap.deliverer(cont), bootstrap.scheduler(cont)
    while await worker.run_once():
        pass
    assert "an200@example.vn" in [m["To"] for m in smtp.messages]
    assert phone in [r[2]["to"] for r in gateway.requests]
    clock.set(TODAY + timedelta(days=400))  # open: kept, however long
    assert await jobs.purge_contacts() == 0
    assert await _scalar(cont, _contact_of(dossier)) == 1
    finished = TODAY + timedelta(days=401)
    await intake.apply([c.Finished(facts, finished, "late")])
    clock.set(finished + timedelta(days=29))  # the need ended 29 days ago: kept
    assert await jobs.purge_contacts() == 0
    clock.set(finished + timedelta(days=30))
    assert await jobs.purge_contacts() == 1
    assert await _scalar(cont, _contact_of(dossier)) == 0
    await cont.engine.dispose()


async def test_a_finished_dossier_keeps_its_contact_while_a_letter_to_it_is_in_flight(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(TODAY)
    cont = _container(notify_db, smtp.port, gateway, calendar, clock, contacts_retention_days=1)
    dossier = support.unique("D")
    facts = _facts(dossier, TODAY - timedelta(days=10), TODAY - timedelta(days=2))
    gateway.failing.add("0912000777")
    await bootstrap.intake(cont).apply(
        [
            c.ContactReceived(dossier, {"name": "B", "phone": "0912000777"}, TODAY),
            c.Attributed(facts, Cause.OFFICIAL_DELAY),
            c.Finished(facts, TODAY, "late"),
        ]
    )
    worker, jobs = bootstrap.deliverer(cont), bootstrap.scheduler(cont)
    await worker.run_once()  # the SMS fails and waits for its retry
    clock.set(TODAY + timedelta(days=5))
    assert await jobs.purge_contacts() == 0  # a letter to the applicant is still in flight
    async with cont.engine.begin() as conn:  # given up (the last attempt failed) on day 5
        await conn.execute(
            update(notifications)
            .where(notifications.c.dossier_id == dossier, notifications.c.channel == "sms")
            .values(status="failed", failed_at=TODAY + timedelta(days=5))
        )
    clock.set(TODAY + timedelta(days=5, hours=23))
    assert await jobs.purge_contacts() == 0
    clock.set(TODAY + timedelta(days=6))
    assert await jobs.purge_contacts() == 1
    gateway.failing.discard("0912000777")
    await cont.engine.dispose()


async def test_a_job_with_an_unreadable_contact_fails_alone_and_the_batch_is_sent(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(TODAY)
    cont = _container(notify_db, smtp.port, gateway, calendar, clock)
    good, bad = support.unique("D"), support.unique("D")
    intake = bootstrap.intake(cont)
    for dossier in (bad, good):
        facts = _facts(dossier, TODAY - timedelta(days=10), TODAY - timedelta(days=1))
        email = f"{dossier.lower()}@example.vn"
        await intake.apply(
            [
                c.ContactReceived(dossier, {"name": "C", "email": email}, TODAY),
                c.Attributed(facts, Cause.OFFICIAL_DELAY),
            ]
        )
    stranger = FernetSealer([Fernet.generate_key().decode()]).seal({"email": "x@example.vn"})
    async with cont.engine.begin() as conn:
        await conn.execute(
            update(contacts).where(contacts.c.dossier_id == bad).values(sealed=stranger)
        )
    assert await bootstrap.deliverer(cont).run_once() == 6  # two letters, two copies of each
    rows = await _rows(
        cont,
        select(
            notifications.c.dossier_id,
            notifications.c.recipient_role,
            notifications.c.status,
            notifications.c.last_error,
        ).where(notifications.c.dossier_id.in_([good, bad])),
    )
    by = {(r.dossier_id, r.recipient_role): r for r in rows}
    assert by[(bad, "applicant")].status == "failed"
    assert by[(bad, "applicant")].last_error.startswith("contact unreadable")
    assert by[(good, "applicant")].status == "sent"
    # the copies of the letter whose contact no key opens still go, addressee marked unavailable
    assert by[(bad, "service_centre")].status == by[(bad, "processing_unit")].status == "sent"
    assert f"{good.lower()}@example.vn" in [m["To"] for m in smtp.messages]
    await cont.engine.dispose()


async def _rows(cont, stmt):
    async with cont.engine.connect() as conn:
        return (await conn.execute(stmt)).all()


class _SlowRecorder:
    """An SMTP server that takes its time over every message (a batch outlasts the lease)."""

    def __init__(self, sink: SmtpSink, delay_s: float) -> None:
        self._sink, self._delay = sink, delay_s

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self._delay)
        from email import message_from_bytes

        self._sink.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


async def test_two_workers_against_a_slow_smtp_server_send_each_message_once(
    notify_db, gateway, calendar
) -> None:
    sink = SmtpSink(port=free_port())
    controller = Controller(_SlowRecorder(sink, 0.25), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        clock = SystemClock()
        # A 1 s lease and batches of 4 messages taking 1 s: without renewal, the other worker
        # would take the batch's tail over and send it again.
        cont = _container(
            notify_db, sink.port, gateway, calendar, clock, sending_lease_s=1.0, deliver_batch=4
        )
        now = clock.now()
        for run in range(10):
            dossiers = [support.unique(f"R{run}") for _ in range(4)]
            batch = []
            for d in dossiers:
                facts = _facts(d, now - timedelta(days=10), now - timedelta(days=1))
                batch += [
                    c.ContactReceived(d, {"name": "E", "email": f"{d.lower()}@example.vn"}, now),
                    c.Attributed(facts, Cause.OFFICIAL_DELAY),
                ]
            await bootstrap.intake(cont).apply(batch)
            before = len(sink.messages)
            await asyncio.gather(*(_drain(bootstrap.deliverer(cont)) for _ in range(2)))
            ids = sink.message_ids()[before:]
            # each letter to the applicant, the service centre and the processing unit
            assert len(ids) == len(set(ids)) == 12, f"run {run}: {len(ids)} for 12 messages"
        await cont.engine.dispose()
    finally:
        controller.stop()


async def _drain(worker) -> None:
    """Deliver until nothing is due (or left to another worker's lease) for a moment."""
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.5:
        if await worker.run_once():
            idle_since = time.monotonic()
        else:
            await asyncio.sleep(0.05)


async def test_a_key_rotation_under_load_keeps_every_contact_readable(
    notify_db, smtp, gateway, calendar
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    clock = FakeClock(TODAY)
    before = _container(notify_db, smtp.port, gateway, calendar, clock, contacts_key=SecretStr(old))
    prefix = support.unique("K")
    await _write_contacts(before, prefix, range(200))
    rotating = _container(
        notify_db,
        smtp.port,
        gateway,
        calendar,
        clock,
        contacts_key=SecretStr(new),
        contacts_previous_keys=[SecretStr(old)],
    )
    # Intake keeps writing (under the new key) while the re-seal runs, page by page.
    load = asyncio.create_task(_write_contacts(rotating, prefix, range(200, 400)))
    report = await reseal_all(rotating.uow, rotating.sealer, page=50)
    await load
    assert report.unreadable == 0
    assert report.resealed >= 200
    after = FernetSealer([new])  # the old key is gone
    rows = await _rows(
        rotating,
        select(contacts.c.dossier_id, contacts.c.sealed).where(
            contacts.c.dossier_id.like(f"{prefix}%")
        ),
    )
    assert len(rows) == 400
    assert all(after.open(r.sealed)["email"].startswith(prefix.lower()) for r in rows)
    await before.engine.dispose()
    await rotating.engine.dispose()


async def _write_contacts(cont, prefix: str, numbers) -> None:
    intake = bootstrap.intake(cont)
    for n in numbers:
        d = f"{prefix}-{n:04d}"
        await intake.apply(
            [c.ContactReceived(d, {"name": "F", "email": f"{d.lower()}@x.vn"}, TODAY)]
        )


async def test_officials_are_reminded_at_the_address_dossier_contacts_brought(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(TODAY)
    cont = _container(notify_db, smtp.port, gateway, calendar, clock)
    known, stranger = support.unique("D"), support.unique("D")
    new_id = support.unique("cb")
    facts_known = _facts(known, TODAY - timedelta(days=10), TODAY - timedelta(hours=1))
    facts_new = _facts(stranger, TODAY - timedelta(days=10), TODAY - timedelta(hours=1))
    facts_new = facts_new.model_copy(update={"assignee_id": new_id})
    moved = {"name": "Trần Thị Bình", "email": "binh.moi@quangtri.gov.vn"}
    fresh = {"name": "Lê Văn Mới", "email": f"{new_id}@quangtri.gov.vn"}
    await bootstrap.intake(cont).apply(
        [
            c.OfficialContactReceived(known, "cb-1024", moved, TODAY),
            c.OfficialContactReceived(stranger, new_id, fresh, TODAY),
            c.Breached(facts_known, TODAY),
            c.Breached(facts_new, TODAY),  # unknown to the directory: reminded all the same
        ]
    )
    while await bootstrap.deliverer(cont).run_once():
        pass
    to = [m["To"] for m in smtp.messages]
    assert "binh.moi@quangtri.gov.vn" in to  # the source's latest, over the directory's
    assert f"{new_id}@quangtri.gov.vn" in to
    await cont.engine.dispose()

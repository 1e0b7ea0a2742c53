"""A later cause revision after the letter: still one letter, and a reason that stays true.

Queued: the letter is re-rendered (or withdrawn when the dossier was not late after all).
Sent: no second letter case; the same letter is amended (same number) and delivered again with
the true reason, and the unit head gets a notice. Real PostgreSQL, SMTP.
"""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message

import pytest
from dunghan_common.clock import FakeClock
from notify import bootstrap
from notify.adapters.tables import letter_amendments, letters, notifications
from notify.domain.models import Cause
from notify.usecases import commands as c
from sqlalchemy import func, select

from tests import support
from tests.integration.notify.test_notify_policies import (
    FRI_07H,
    THU_22H,
    _container,
    _facts,
    _rows,
    _scalar,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
CONTACT = {"name": "Nguyễn Văn An", "email": "an@example.vn"}
HEAD = "giamdoc.sxd@quangtri.gov.vn"


def _subject(m: Message) -> str:
    return str(make_header(decode_header(m["Subject"])))


def _plain(m: Message) -> str:
    part = next(p for p in m.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _to(smtp, address: str) -> list[Message]:
    return [m for m in smtp.messages if m["To"] == address]


async def _amendments(cont, dossier: str) -> list[tuple[int, str, str, str]]:
    a = letter_amendments.c
    query = (
        select(a.revision, a.from_cause, a.to_cause, a.action)
        .where(a.dossier_id == dossier)
        .order_by(a.revision)
    )
    return [tuple(r) for r in await _rows(cont, query)]


async def test_a_queued_letter_is_re_rendered_with_the_revised_reason(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(THU_22H)  # the letter waits for Friday's opening
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    dossier = support.unique("D")
    facts = _facts(dossier, THU_22H - timedelta(days=1))
    intake = bootstrap.intake(cont)
    await intake.apply(
        [
            c.ContactReceived(dossier, CONTACT, THU_22H),
            c.Attributed(facts, Cause.OFFICIAL_DELAY, revision=1),
        ]
    )
    (before,) = await _rows(cont, select(letters).where(letters.c.dossier_id == dossier))
    await intake.apply([c.Attributed(facts, Cause.SOFTWARE_ERROR, revision=2)])
    await intake.apply([c.Attributed(facts, Cause.OFFICIAL_DELAY, revision=1)])  # a replay
    (after,) = await _rows(cont, select(letters).where(letters.c.dossier_id == dossier))
    assert after.cause == "software_error"
    assert "lỗi của phần mềm" in after.reason
    assert (after.number, after.new_due_at) == (before.number, before.new_due_at)
    assert await _amendments(cont, dossier) == [
        (2, "official_delay", "software_error", "rerendered")
    ]
    clock.set(FRI_07H)
    await bootstrap.deliverer(cont).run_once()
    (mail,) = _to(smtp, "an@example.vn")
    assert "lỗi của phần mềm" in _plain(mail)
    assert "chậm so với thời hạn" not in _plain(mail)
    assert _to(smtp, HEAD) == []  # nothing was sent before: nothing to tell the head
    await cont.engine.dispose()


async def test_a_sent_letter_is_amended_and_the_unit_head_told(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(FRI_07H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    dossier = support.unique("D")
    facts = _facts(dossier, FRI_07H - timedelta(days=1))
    intake, worker = bootstrap.intake(cont), bootstrap.deliverer(cont)
    first = [
        c.ContactReceived(dossier, CONTACT, FRI_07H),
        c.Attributed(facts, Cause.OFFICIAL_DELAY, revision=1),
    ]
    await intake.apply(first)
    assert await worker.run_once() == 3  # applicant, the service centre's and the unit's copies
    revised = c.Attributed(facts, Cause.SOFTWARE_ERROR, revision=2)
    await intake.apply([revised])
    await intake.apply([*first, revised])  # redelivery and replay change nothing
    (letter,) = await _rows(cont, select(letters).where(letters.c.dossier_id == dossier))
    assert (letter.cause, letter.revision, letter.number) == ("software_error", 2, 1)
    assert (letter.status, letter.amendments) == ("amended", 1)
    assert await _amendments(cont, dossier) == [(2, "official_delay", "software_error", "amended")]
    assert await worker.run_once() == 4  # the amended letter, its two copies, the head's notice
    _first, amended = _to(smtp, "an@example.vn")  # one letter, delivered amended
    assert "lỗi của phần mềm" in _plain(amended)
    assert "(điều chỉnh)" in _subject(amended)
    (note,) = _to(smtp, HEAD)
    assert _subject(note) == f"Điều chỉnh phiếu xin lỗi: hồ sơ {dossier}"
    assert "Phiếu xin lỗi số 01/PXL-SXD (2025)" in _plain(note)
    assert "lỗi phần mềm" in _plain(note)
    kinds = select(notifications.c.kind, func.count()).where(notifications.c.dossier_id == dossier)
    counted = dict(await _rows(cont, kinds.group_by(notifications.c.kind)))
    assert counted == {"apology": 6, "notice": 1}  # twice: the applicant and two copies
    await cont.engine.dispose()


async def test_a_queued_letter_is_withdrawn_when_the_dossier_was_not_late_then_restored(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(THU_22H)
    cont = _container(notify_db, smtp, gateway, calendar, clock)
    dossier = support.unique("D")
    facts = _facts(dossier, THU_22H - timedelta(days=1))
    intake, worker = bootstrap.intake(cont), bootstrap.deliverer(cont)
    await intake.apply(
        [
            c.ContactReceived(dossier, {"name": "B", "phone": "0912345678"}, THU_22H),
            c.Attributed(facts, Cause.OFFICIAL_DELAY, revision=1),
        ]
    )
    # A late result event: finished on time locally, only the portal was late (no letter due).
    await intake.apply([c.Unattributed(facts, "sync_error", revision=2)])
    statuses = select(notifications.c.status, notifications.c.last_error).where(
        notifications.c.dossier_id == dossier
    )
    rows = await _rows(cont, statuses)
    assert {r.status for r in rows} == {"failed"}
    assert all(r.last_error == "withdrawn: the dossier is not late locally" for r in rows)
    both = {**CONTACT, "phone": "0912345678"}
    await intake.apply([c.ContactReceived(dossier, both, THU_22H)])  # an email address came later
    rows = await _rows(cont, statuses)
    assert len(rows) == 3  # a withdrawn letter gets no new delivery
    assert {r.status for r in rows} == {"failed"}
    clock.set(FRI_07H)
    assert await worker.run_once() == 0
    # Later evidence makes it late again: the same letter goes back in line, none is added.
    await intake.apply([c.Attributed(facts, Cause.OFFICIAL_DELAY, revision=3)])
    assert await worker.run_once() == 4
    assert {r.status for r in await _rows(cont, statuses)} == {"sent"}
    assert (
        await _scalar(
            cont, select(func.count()).select_from(letters).where(letters.c.dossier_id == dossier)
        )
        == 1
    )
    assert await _amendments(cont, dossier) == [
        (2, "official_delay", "sync_error", "withdrawn"),
        (3, "official_delay", "official_delay", "unchanged"),
    ]
    assert [r[0] for r in gateway.requests if r[0] == "/v1/sms"] == ["/v1/sms"]
    assert len(_to(smtp, "an@example.vn")) == 1
    await cont.engine.dispose()

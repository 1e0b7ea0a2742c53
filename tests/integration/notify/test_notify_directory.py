"""The unit directory on the real database: letters held for a unit without a head, released
when the re-read directory completes it, copies to the receiving service centre, reminders to
the officials of any unit."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.settings import DatabaseSettings, Environment
from dunghan_common.units import UnitDirectory, UnitDirectorySettings, load_units
from dunghan_common.units.importer import to_toml
from notify import bootstrap
from notify.adapters.tables import letters, notifications
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from pypdf import PdfReader
from sqlalchemy import func, select

from tests import support
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
TUE_10H = datetime(2025, 8, 12, 3, 0, tzinfo=UTC)  # Tuesday 10:00 in Quảng Trị: office hours
COMMUNE = "000.62.05.H50"  # Ủy ban nhân dân xã Tân Thành in the committed directory
CENTRE = "000.00.31.H50"
COMMUNE_MAILBOX = "ubnd.tanthanh@quangtri.gov.vn"


def _directory(path: Path, headless: bool) -> None:
    """The committed directory, with the commune's head blanked out when ``headless``."""
    units = load_units(Path("config/units.toml"))
    text = to_toml(units)
    if headless:
        entry = units.unit(COMMUNE)
        assert entry is not None
        assert entry.head is not None
        text = text.replace(f'name = "{entry.head.name}", ', 'name = "", ', 1)
    path.write_text(text, encoding="utf-8")


def _container(db, smtp, gateway, calendar, clock, units: Path, approval_units: str = ""):
    opts = NotifyOptions(
        channels="real",
        smtp_port=smtp.port,
        sms_url=gateway.url("/v1/sms"),
        dost_webhook_url=gateway.url("/v1/webhook"),
        max_attempts=2,
        approval_units=approval_units,
    )
    settings = NotifySettings(
        env=Environment.TEST,
        db=DatabaseSettings(url=db),
        notify=opts,
        units=UnitDirectorySettings(path=units, reload_s=0),
    )
    return bootstrap.build(settings, clock=clock, calendar=calendar)


def _facts(dossier: str, assignee: str = "cb-02801") -> Facts:
    return notify_facts(
        dossier,
        TUE_10H - timedelta(days=8),
        TUE_10H - timedelta(days=1),
        unit_code=COMMUNE,
        receiving_unit_code=CENTRE,
        assignee_id=assignee,
    )


async def _count(cont, stmt) -> int:
    async with cont.engine.connect() as conn:
        return int(await conn.scalar(stmt) or 0)


async def _late_for_the_official(cont, dossier: str, attributed: Facts | None = None) -> None:
    """An applicant's contact, then the dossier past due, attributed to its official."""
    contact = {"kind": "citizen", "name": "Nguyễn Văn An", "email": "an@example.vn"}
    await bootstrap.intake(cont).apply(
        [
            c.ContactReceived(dossier, contact, TUE_10H - timedelta(days=8)),
            c.FactsSeen(_facts(dossier)),
            c.Attributed(attributed or _facts(dossier), Cause.OFFICIAL_DELAY, 1),
        ]
    )


async def test_a_unit_without_a_head_gets_no_placeholder_letter_it_is_held_then_released(
    notify_db, smtp, gateway, calendar, tmp_path
) -> None:
    units = tmp_path / "units.toml"
    _directory(units, headless=True)
    cont = _container(notify_db, smtp, gateway, calendar, FakeClock(TUE_10H), units)
    dossier = support.unique(f"{COMMUNE}-250804")
    # a finding that does not name the receiving centre: the copy still goes to it
    unnamed = _facts(dossier).model_copy(update={"receiving_unit_code": None})
    await _late_for_the_official(cont, dossier, unnamed)
    held = select(func.count()).select_from(letters).where(letters.c.held_at.is_not(None))
    assert await _count(cont, held) == 1
    apologies = (
        select(func.count()).select_from(notifications).where(notifications.c.kind == "apology")
    )
    assert await _count(cont, apologies) == 0  # nothing goes out in a placeholder's name
    jobs = bootstrap.scheduler(cont)
    assert await jobs.release_held() == (0, 1)

    _directory(units, headless=False)  # the province completes the entry; no restart
    os.utime(units, ns=(1, 1))
    assert await jobs.release_held() == (1, 0)
    assert await _count(cont, held) == 0
    assert await bootstrap.deliverer(cont).run_once() == 3  # the applicant and the two copies
    by_to = {m["To"]: m for m in smtp.messages}
    assert set(by_to) == {"an@example.vn", "ttphvhcc@quangtri.gov.vn", COMMUNE_MAILBOX}
    pdf = next(
        p for p in by_to["an@example.vn"].walk() if p.get_content_type() == "application/pdf"
    )
    text = " ".join(
        PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages[0].extract_text().split()
    )
    commune = load_units(units).unit(COMMUNE)
    assert commune is not None
    assert commune.head is not None
    for needed in (
        "ỦY BAN NHÂN DÂN XÃ TÂN THÀNH",
        "Tân Thành, ngày 12 tháng 8 năm 2025",
        "Số: 01/PXL-UBND",
        "TM. ỦY BAN NHÂN DÂN",
        commune.head.name,
        "Kính gửi: Ông/Bà Nguyễn Văn An.",
        "Trung tâm Phục vụ hành chính công tỉnh;",
    ):
        assert needed in text, needed
    await cont.engine.dispose()


async def test_a_held_letter_at_a_unit_that_approves_its_letters_waits_for_its_head(
    notify_db, smtp, gateway, calendar, tmp_path
) -> None:
    units = tmp_path / "units.toml"
    _directory(units, headless=True)
    cont = _container(notify_db, smtp, gateway, calendar, FakeClock(TUE_10H), units, COMMUNE)
    dossier = support.unique(f"{COMMUNE}-250804")
    await _late_for_the_official(cont, dossier)
    status = select(letters.c.status).where(letters.c.dossier_id == dossier)
    async with cont.engine.connect() as conn:
        assert await conn.scalar(status) == "held"
    _directory(units, headless=False)
    os.utime(units, ns=(1, 1))
    assert await bootstrap.scheduler(cont).release_held() == (1, 0)
    async with cont.engine.connect() as conn:
        assert await conn.scalar(status) == "awaiting_approval"  # never straight to issued
    apologies = select(func.count()).select_from(notifications)
    apologies = apologies.where(
        notifications.c.kind == "apology", notifications.c.dossier_id == dossier
    )
    assert await _count(cont, apologies) == 0
    told = select(func.count()).select_from(notifications)
    told = told.where(notifications.c.dossier_id == dossier, notifications.c.kind == "notice")
    assert await _count(cont, told) == 1  # the head hears that a letter waits for approval
    async with cont.engine.connect() as conn:
        letter_id = await conn.scalar(select(letters.c.id).where(letters.c.dossier_id == dossier))
    approved = await bootstrap.approvals(cont).approve(letter_id, COMMUNE)
    assert approved is not None
    assert approved.status == "issued"
    assert await _count(cont, apologies) >= 2  # the applicant and the copies
    await cont.engine.dispose()


async def test_a_unit_without_a_mailbox_its_copy_fails_visibly_and_is_counted(
    notify_db, smtp, gateway, calendar, tmp_path
) -> None:
    units = tmp_path / "units.toml"
    known = load_units(Path("config/units.toml"))
    no_mailbox = tuple(
        u.model_copy(update={"email": None}) if u.code == COMMUNE else u for u in known.units
    )
    units.write_text(to_toml(UnitDirectory(no_mailbox)), encoding="utf-8")
    cont = _container(notify_db, smtp, gateway, calendar, FakeClock(TUE_10H), units)
    dossier = support.unique(f"{COMMUNE}-250804")
    await _late_for_the_official(cont, dossier)
    assert await bootstrap.deliverer(cont).run_once() == 3
    n = notifications.c
    async with cont.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(n.recipient_role, n.status, n.last_error).where(
                    n.dossier_id == dossier, n.kind == "apology"
                )
            )
        ).all()
    by_role = {r.recipient_role: r for r in rows}
    assert by_role["processing_unit"].status == "failed"  # never silently dropped
    assert "no email address" in by_role["processing_unit"].last_error
    assert by_role["service_centre"].status == by_role["applicant"].status == "sent"
    counted = cont.registry.get_sample_value(
        "dunghan_notify_letter_copies_unaddressed_total", {"recipient_role": "processing_unit"}
    )
    assert counted == 1
    assert {m["To"] for m in smtp.messages} == {"an@example.vn", "ttphvhcc@quangtri.gov.vn"}
    html = next(
        p for p in _to_applicant(smtp).walk() if p.get_content_type() == "text/html"
    ).get_payload(decode=True)
    assert "Lưu: VT" not in html.decode()  # the letter does not claim the copy it could not send
    await cont.engine.dispose()


def _to_applicant(smtp):
    return next(m for m in smtp.messages if m["To"] == "an@example.vn")


async def test_reminders_reach_the_officials_of_any_unit_in_the_directory(
    notify_db, smtp, gateway, calendar, tmp_path
) -> None:
    units = tmp_path / "units.toml"
    _directory(units, headless=False)
    cont = _container(notify_db, smtp, gateway, calendar, FakeClock(TUE_10H), units)
    dossier = support.unique(f"{COMMUNE}-250804")
    await bootstrap.intake(cont).apply([c.Breached(_facts(dossier), TUE_10H)])
    assert await bootstrap.deliverer(cont).run_once() == 1
    assert [m["To"] for m in smtp.messages] == ["cb-02801@quangtri.gov.vn"]
    await cont.engine.dispose()

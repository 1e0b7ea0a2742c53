"""A letter whose applicant's contact no key opens (a key removed too early, a damaged row):
the API still lists and shows it, the addressee marked unavailable, never a 500; the problem is
counted and logged without personal data."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.fernet import Fernet
from dunghan_common.clock import FakeClock
from dunghan_common.settings import (
    ApiToken,
    AuthSettings,
    DatabaseSettings,
    Environment,
    Role,
    hash_secret,
)
from notify import bootstrap
from notify.adapters.crypto import FernetSealer
from notify.adapters.tables import contacts
from notify.domain.letters import UNREADABLE_ADDRESSEE
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from sqlalchemy import update

from tests import support
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
TUE_10H = datetime(2025, 8, 12, 3, 0, tzinfo=UTC)  # Tuesday 10:00 in Quảng Trị
OPS = "ops-token-unreadable"


def _facts(dossier: str) -> Facts:
    return notify_facts(dossier, TUE_10H - timedelta(days=8), TUE_10H - timedelta(days=1))


async def test_a_letter_whose_contact_no_key_opens_is_shown_with_the_addressee_unavailable(
    notify_db, calendar, caplog
) -> None:
    auth = AuthSettings(tokens=[ApiToken(token_hash=hash_secret(OPS), role=Role.OPS)])
    settings = NotifySettings(
        env=Environment.TEST,
        db=DatabaseSettings(url=notify_db),
        notify=NotifyOptions(),
        auth=auth,
    )
    cont = bootstrap.build(settings, clock=FakeClock(TUE_10H), calendar=calendar)
    dossier = support.unique("D")
    name = "Nguyễn Thị Bí Mật"
    await bootstrap.intake(cont).apply(
        [
            c.ContactReceived(dossier, {"name": name, "email": "bm@example.vn"}, TUE_10H),
            c.Attributed(_facts(dossier), Cause.OFFICIAL_DELAY),
        ]
    )
    stranger = FernetSealer([Fernet.generate_key().decode()]).seal({"name": name})
    async with cont.engine.begin() as conn:
        await conn.execute(
            update(contacts).where(contacts.c.dossier_id == dossier).values(sealed=stranger)
        )
    transport = httpx.ASGITransport(app=bootstrap.app(cont))
    headers = {"Authorization": f"Bearer {OPS}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://n", headers=headers) as api:
        listed = await api.get("/v1/letters", params={"dossier_id": dossier})
        assert listed.status_code == 200
        (case,) = listed.json()["items"]
        with caplog.at_level(logging.WARNING):
            shown = await api.get(f"/v1/letters/{case['id']}")
            pdf = await api.get(f"/v1/letters/{case['id']}", headers={"Accept": "application/pdf"})
        notes = await api.get("/v1/notifications", params={"dossier_id": dossier})
        apology = next(n for n in notes.json()["items"] if n["recipient_role"] == "applicant")
        by_notification = await api.get(f"/v1/notifications/{apology['id']}/letter")
    assert (shown.status_code, pdf.status_code, by_notification.status_code) == (200, 200, 200)
    assert shown.headers["dunghan-addressee"] == pdf.headers["dunghan-addressee"] == "unavailable"
    assert pdf.headers["content-type"] == "application/pdf"
    assert f"Kính gửi: Ông/Bà {UNREADABLE_ADDRESSEE}." in shown.text
    assert UNREADABLE_ADDRESSEE in by_notification.text
    assert "Số: 01/PXL-SXD" in shown.text  # the rest of the letter as issued
    assert "letter shown without its addressee" in caplog.text
    assert name not in caplog.text
    assert "bm@example.vn" not in caplog.text
    counted = cont.registry.get_sample_value(
        "dunghan_notify_contacts_unreadable_total", {"where": "api"}
    )
    assert counted == 3
    await cont.engine.dispose()

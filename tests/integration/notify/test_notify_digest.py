"""The unit heads' daily digest: overdue dossiers and KPIs below target, once a day, office hours.

A local HTTP server stands in for sla's `GET /v1/kpis` (docs/contract.md §3, the shape and checks of
services/sla/src/sla/adapters/http.py); the digest goes through a real aiosmtpd and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
import pytest_asyncio
from dunghan_common.clock import FakeClock
from dunghan_common.settings import DatabaseSettings, Environment
from fastapi import FastAPI, HTTPException, Request
from notify import bootstrap
from notify.adapters.tables import notifications
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from pydantic import SecretStr
from sqlalchemy import select

from tests import support
from tests.integration.notify.conftest import free_port
from tests.integration.notify.test_notify_policies import _facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNIT, CENTRE = "000.00.12.H50", "000.00.31.H50"
HEAD, CENTRE_HEAD = "giamdoc.sxd@quangtri.gov.vn", "giamdoc.ttphvhcc@quangtri.gov.vn"
KPI_TOKEN = "sla-reader-token"
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def local(text: str) -> datetime:
    """A Quảng Trị wall-clock time as an aware UTC instant."""
    return datetime.fromisoformat(text + "+07:00").astimezone(UTC)


THU_0730, THU_0800 = local("2025-08-07T07:30:00"), local("2025-08-07T08:00:00")


@dataclass
class SlaStandIn:
    """The KPI endpoint of sla: what it answers and what it was asked."""

    port: int
    failing: bool = False
    asked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL, as `sla_api_url` takes it."""
        return f"http://127.0.0.1:{self.port}"


def _unit_row(code: str, on_time: float | None, below: list[str]) -> dict[str, Any]:
    return {
        "unit_code": code,
        "received": 40,
        "finished": 30,
        "early": 10,
        "on_time": 11,
        "late": 9,
        "open_overdue": 2,
        "on_time_rate": on_time,
        "online_submission_rate": 0.62,
        "online_payment_rate": None,
        "digitization_rate": 0.9,
        "sync_rate": 1.0,
        "below_target": below,
    }


def _sla_app(sla: SlaStandIn) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/kpis")
    async def kpis(request: Request, period: str, unit_code: str | None = None) -> dict[str, Any]:
        sla.asked.append((period, request.headers.get("authorization", "")))
        if request.headers.get("authorization") != f"Bearer {KPI_TOKEN}":
            raise HTTPException(401, "missing or invalid token")
        if _PERIOD.match(period) is None:
            raise HTTPException(400, "period must be YYYY-MM")
        if sla.failing:
            raise HTTPException(503, "database unavailable")
        units = [
            _unit_row(UNIT, 0.7, ["on_time_rate", "online_submission_rate"]),
            _unit_row(CENTRE, 0.95, ["online_submission_rate"]),
            _unit_row("000.00.77.H50", 0.9, []),  # nothing below target: no digest
        ]
        return {"period": period, "province": _unit_row("", 0.8, []), "units": units}

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def sla() -> AsyncIterator[SlaStandIn]:
    """The stand-in under uvicorn on a free port."""
    stand_in = SlaStandIn(port=free_port())
    async with support.serving(_sla_app(stand_in), stand_in.port):
        yield stand_in


def _container(db: str, smtp, sla: SlaStandIn, calendar, clock: FakeClock):
    options = NotifyOptions(
        channels="real",
        smtp_port=smtp.port,
        sms_url="http://127.0.0.1:1/v1/sms",  # the digest is emailed; nothing is texted
        dost_webhook_url="http://127.0.0.1:1/v1/webhook",
        digest_hour=8,
        sla_api_url=sla.url,
        sla_api_token=SecretStr(KPI_TOKEN),
    )
    settings = NotifySettings(env=Environment.TEST, db=DatabaseSettings(url=db), notify=options)
    return bootstrap.build(settings, clock=clock, calendar=calendar)


def _text(m: Message) -> tuple[str, str]:
    subject = str(make_header(decode_header(m["Subject"])))
    part = next(p for p in m.walk() if p.get_content_type() == "text/plain")
    return subject, part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _digest_mails(smtp) -> list[Message]:
    """The digests among what the SMTP server got (reminders to officials go there too)."""
    return [m for m in smtp.messages if _text(m)[0].startswith("Tổng hợp hồ sơ quá hạn")]


async def _digests(cont) -> list[tuple[str, str]]:
    n = notifications.c
    query = select(n.recipient_ref, n.dedup_key).where(n.kind == "digest").order_by(n.id)
    async with cont.engine.connect() as conn:
        return [(r.recipient_ref, r.dedup_key) for r in await conn.execute(query)]


async def test_the_digest_lists_overdue_dossiers_and_kpis_below_target_once_a_day(
    notify_db, smtp, sla, calendar
) -> None:
    clock = FakeClock(THU_0730)
    cont = _container(notify_db, smtp, sla, calendar, clock)
    late_one, late_two, finished = (support.unique("000.00.12.H50-250801") for _ in range(3))
    due = local("2025-08-05T10:00:00")
    intake = bootstrap.intake(cont)
    await intake.apply(
        [
            c.Breached(_facts(late_one, due), due),
            c.Breached(_facts(late_two, due + timedelta(days=1)), due + timedelta(days=1)),
            c.Breached(_facts(finished, due), due),
            c.FinishedLate(_facts(finished, due), due + timedelta(hours=3)),
        ]
    )
    jobs, worker = bootstrap.scheduler(cont), bootstrap.deliverer(cont)
    assert await jobs.queue_digests() == 0  # 07:30: office open, but before the digest hour
    assert sla.asked == []
    clock.set(THU_0800)
    assert await jobs.queue_digests() == 2  # Sở Xây dựng (overdue + KPIs), the centre (KPIs)
    assert sla.asked == [("2025-08", f"Bearer {KPI_TOKEN}")]
    await worker.run_once()
    sent = {m["To"]: _text(m) for m in _digest_mails(smtp)}
    assert set(sent) == {HEAD, CENTRE_HEAD}
    subject, body = sent[HEAD]
    assert subject == "Tổng hợp hồ sơ quá hạn ngày 2025-08-07"
    assert "Sở Xây dựng: 2 hồ sơ" in body
    assert body.index(late_one) < body.index(late_two)  # most overdue first
    assert finished not in body
    assert "10 giờ 00 phút, ngày 05/08/2025" in body
    assert "Tỷ lệ giải quyết đúng hạn 70,0%" in body
    assert "Tỷ lệ nộp hồ sơ trực tuyến 62,0%" in body
    _, centre = sent[CENTRE_HEAD]
    assert "0 hồ sơ" in centre
    assert "Tỷ lệ nộp hồ sơ trực tuyến 62,0%" in centre
    assert "Tỷ lệ giải quyết đúng hạn" not in centre

    # The same day again (a restart, a second replica, the next poll): nothing more.
    clock.set(local("2025-08-07T16:00:00"))
    assert await jobs.queue_digests() == 0
    assert await worker.run_once() == 0
    # The next working day: one more per unit; Saturday: none.
    clock.set(local("2025-08-08T08:00:00"))
    assert await jobs.queue_digests() == 2
    clock.set(local("2025-08-09T09:00:00"))
    assert await jobs.queue_digests() == 0
    keys = [k for _, k in await _digests(cont)]
    assert sorted(keys) == sorted(
        f"digest:{u}:{d}" for u in (UNIT, CENTRE) for d in ("2025-08-07", "2025-08-08")
    )
    await cont.engine.dispose()


async def test_the_digest_goes_in_office_hours_only_and_survives_an_sla_outage(
    notify_db, smtp, sla, calendar
) -> None:
    clock = FakeClock(local("2025-08-07T12:00:00"))  # Thursday lunch break
    cont = _container(notify_db, smtp, sla, calendar, clock)
    dossier = support.unique("000.00.12.H50-250801")
    due = local("2025-08-05T10:00:00")
    await bootstrap.intake(cont).apply([c.Breached(_facts(dossier, due), due)])
    sla.failing = True
    jobs, worker = bootstrap.scheduler(cont), bootstrap.deliverer(cont)
    assert await jobs.queue_digests() == 1  # overdue dossiers still go; KPIs are unavailable
    assert await worker.run_once() == 0  # queued for the afternoon opening
    assert await jobs.waiting() == {"digest": 1, "reminder": 1}
    clock.set(local("2025-08-07T13:30:00"))
    assert await worker.run_once() == 2  # the digest, and the official's overdue reminder
    ((to, (_, body)),) = [(m["To"], _text(m)) for m in _digest_mails(smtp)]
    assert to == HEAD
    assert dossier in body
    assert "Chỉ tiêu chưa đạt" not in body
    # After closing, a first poll of the day does not queue today's digest for tomorrow morning.
    sla.failing = False
    other = FakeClock(local("2025-08-08T20:00:00"))
    late = _container(notify_db, smtp, sla, calendar, other)
    assert await bootstrap.scheduler(late).queue_digests() == 0
    other.set(local("2025-08-11T08:00:00"))  # Monday
    assert await bootstrap.scheduler(late).queue_digests() == 2
    assert [k for _, k in await _digests(late)] == [
        f"digest:{UNIT}:2025-08-07",
        f"digest:{UNIT}:2025-08-11",
        f"digest:{CENTRE}:2025-08-11",
    ]
    await cont.engine.dispose()
    await late.engine.dispose()

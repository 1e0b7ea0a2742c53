"""Retries to people wait for office hours, DOST's do not; webhooks are signed (Standard Webhooks).

Real database, the local SMS gateway, a webhook receiver verifying with `standardwebhooks`.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.settings import DatabaseSettings, Environment
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from notify import bootstrap
from notify.adapters.tables import notifications
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from pydantic import SecretStr
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests import support
from tests.e2e.system import free_port
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
FRI_1659 = datetime(2025, 8, 8, 9, 59, 30, tzinfo=UTC)  # Friday 16:59:30 in Quảng Trị
MON_0700 = datetime(2025, 8, 11, 0, 0, tzinfo=UTC)  # Monday 07:00, the next opening
SECRET = "whsec_" + base64.b64encode(b"dost-webhook-test-secret-32bytes").decode()


def _container(db, smtp_port, sms_url, webhook_url, calendar, clock, **options: Any):
    opts = NotifyOptions(
        channels="real",
        smtp_port=smtp_port,
        sms_url=sms_url,
        dost_webhook_url=webhook_url,
        backoff_base_s=60,
        **options,
    )
    settings = NotifySettings(env=Environment.TEST, db=DatabaseSettings(url=db), notify=opts)
    return bootstrap.build(settings, clock=clock, calendar=calendar)


def _facts(dossier: str) -> Facts:
    return notify_facts(dossier, FRI_1659 - timedelta(days=20), FRI_1659 - timedelta(days=1))


async def test_a_retry_to_a_person_waits_for_the_opening_one_to_dost_does_not(
    notify_db, smtp, gateway, calendar
) -> None:
    clock = FakeClock(FRI_1659)
    closed = "http://127.0.0.1:1/v1/webhook"  # nothing listens: DOST's receiver is down
    cont = _container(notify_db, smtp.port, gateway.url("/v1/sms"), closed, calendar, clock)
    dossier, phone = support.unique("D"), "0912000659"
    gateway.failing.add(phone)
    facts = _facts(dossier)
    await bootstrap.intake(cont).apply(
        [
            c.ContactReceived(dossier, {"name": "G", "phone": phone}, FRI_1659),
            c.Attributed(facts, Cause.OFFICIAL_DELAY),
            c.EscalationOpened("esc-h1", facts, "software_error", "lỗi"),
        ]
    )
    await bootstrap.deliverer(cont).run_once()
    async with cont.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(notifications.c.recipient_role, notifications.c.not_before).where(
                    notifications.c.dossier_id == dossier,
                    notifications.c.status == "pending",
                )
            )
        ).all()
    retry = {r.recipient_role: r.not_before for r in rows}
    assert retry["applicant"] == MON_0700  # 17:00:30 is after closing: Monday's opening
    assert retry["dost"] == FRI_1659 + timedelta(seconds=60)  # at any hour
    gateway.failing.discard(phone)
    await cont.engine.dispose()


def _receiver(got: list[tuple[bool, dict[str, str]]]) -> FastAPI:
    app = FastAPI()
    verifier = Webhook(SECRET)

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        headers = dict(request.headers)
        try:
            verifier.verify(body, headers)
        except WebhookVerificationError:
            got.append((False, headers))
            return JSONResponse({"error": "bad signature"}, status_code=401)
        got.append((True, headers))
        return JSONResponse({"accepted": True})

    app.add_api_route("/hooks", receive, methods=["POST"])
    return app


async def test_webhooks_to_dost_are_signed_after_standard_webhooks(
    notify_db, smtp, gateway, calendar
) -> None:
    got: list[tuple[bool, dict[str, str]]] = []
    port = free_port()
    async with support.serving(_receiver(got), port, log_config=None):
        clock = FakeClock(datetime.now(UTC))  # the receiver checks the timestamp's freshness
        url = f"http://127.0.0.1:{port}/hooks"
        cont = _container(
            notify_db,
            smtp.port,
            gateway.url("/v1/sms"),
            url,
            calendar,
            clock,
            dost_webhook_secret=SecretStr(SECRET),
        )
        dossier = support.unique("D")
        await bootstrap.intake(cont).apply(
            [c.EscalationOpened(f"esc-{dossier}", _facts(dossier), "sync_error", "chưa đồng bộ")]
        )
        assert await bootstrap.deliverer(cont).run_once() == 1
        await cont.engine.dispose()
    assert [ok for ok, _ in got] == [True]
    headers = got[0][1]
    assert headers["webhook-id"] == headers["idempotency-key"]

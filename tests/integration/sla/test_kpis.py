"""Monthly KPIs of a small known month, through the API, on the real database."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.settings import ApiToken, AuthSettings, Role, hash_secret
from sla.bootstrap import Sla

from tests.integration.sla.events import cloud_event, received, slim

pytestmark = pytest.mark.asyncio(loop_scope="session")
TZ = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=TZ)
U2 = "000.00.99.H50"
AUTH = AuthSettings(
    tokens=[
        ApiToken(token_hash=hash_secret("ops"), role=Role.OPS),
        ApiToken(token_hash=hash_secret("u2"), role=Role.UNIT, unit_code=U2),
    ]
)


def october() -> list[dict]:
    """Five dossiers of October 2026, four in the first unit and one in U2."""
    paid = {"amount": 50000, "method": "online_national_portal"}
    return [
        received("D1", "2026-10-05 07:00", 1),
        cloud_event("D1", "payment.completed", "2026-10-05 08:00", paid),
        cloud_event("D1", "portal.sync_succeeded", "2026-10-05 08:01", {"status_code": 2}),
        cloud_event("D1", "result_ready", "2026-10-05 10:00", {}),
        cloud_event(
            "D1",
            "result_digitized",
            "2026-10-05 10:05",
            {"file_url": "https://kho.example.vn/1", "stored_in_data_warehouse": True},
        ),
        received("D2", "2026-10-06 07:00", 1, channel="in_person"),
        cloud_event("D2", "payment.completed", "2026-10-06 08:00", paid),
        cloud_event("D2", "result_ready", "2026-10-07 09:00", {}),
        received("D3", "2026-10-07 07:00", 3, fee_required=False, e_result_required=False),
        cloud_event("D3", "result_ready", "2026-10-07 15:00", {}),
        received("D4", "2026-10-08 07:00", 1, channel="in_person", fee_required=False),
        received("D5", "2026-10-30 07:00", 5, unit_code=U2),
        cloud_event("D5", "payment.completed", "2026-10-30 08:00", paid),
    ]


async def test_kpis_of_a_small_known_month(sla_settings) -> None:
    sla = Sla(sla_settings.model_copy(update={"auth": AUTH}), clock=FakeClock(NOW))
    await sla.start()
    try:
        await sla.projector().execute(slim(october()))
        transport = httpx.ASGITransport(app=sla.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
            ops = {"Authorization": "Bearer ops"}
            body = (await http.get("/v1/kpis", params={"period": "2026-10"}, headers=ops)).json()
            own = await http.get(
                "/v1/kpis", params={"period": "2026-10"}, headers={"Authorization": "Bearer u2"}
            )
            bad = await http.get("/v1/kpis", params={"period": "2026-13"}, headers=ops)
            empty = await http.get("/v1/kpis", params={"period": "2026-09"}, headers=ops)
    finally:
        await sla.stop()
    first, second = body["units"]
    assert body["period"] == "2026-10"
    assert (first["received"], first["finished"], first["open_overdue"]) == (4, 3, 1)
    assert (first["early"], first["on_time"], first["late"]) == (1, 1, 1)
    assert first["on_time_rate"] == pytest.approx(2 / 3)
    assert first["online_submission_rate"] == 0.5
    assert first["online_payment_rate"] == 1.0
    assert first["digitization_rate"] == 0.5
    assert first["below_target"] == [
        "on_time_rate",
        "online_submission_rate",
        "digitization_rate",
        "sync_rate",
    ]
    assert second["unit_code"] == U2
    assert (second["on_time_rate"], second["digitization_rate"]) == (None, None)
    assert second["below_target"] == ["sync_rate"]
    province = body["province"]
    assert (province["received"], province["finished"], province["late"]) == (5, 3, 1)
    assert province["online_submission_rate"] == 0.6
    assert province["sync_rate"] == 0.2
    assert [u["unit_code"] for u in own.json()["units"]] == [U2]
    assert bad.status_code == 400
    assert empty.json()["units"][0]["open_overdue"] == 1  # overdue now, whatever the month


def around_october_end() -> list[dict]:
    """Dossiers judged at the end of October 2026 (a Saturday), read on 2 November."""
    return [
        # received in September, due in October, finished late in November: overdue at the end
        received("P1", "2026-09-28 07:00", 10),
        cloud_event("P1", "result_ready", "2026-11-02 09:00", {}),
        # received and finished late within October: not open at the end
        received("P2", "2026-10-05 07:00", 1),
        cloud_event("P2", "result_ready", "2026-10-09 09:00", {}),
        # open and overdue at the end and now
        received("P3", "2026-10-20 07:00", 2),
        # due on 2 November at the earliest: within time at the end
        received("P4", "2026-10-29 07:00", 3),
        # waiting for a supplement since before its due date: its clock was stopped at the end
        received("P5", "2026-10-26 07:00", 2),
        cloud_event("P5", "supplement_requested", "2026-10-26 09:00", {"reason": "thiếu"}),
    ]


async def test_overdue_at_the_period_end_is_counted_in_event_time(sla_settings) -> None:
    sla = Sla(sla_settings.model_copy(update={"auth": AUTH}), clock=FakeClock(NOW))
    await sla.start()
    try:
        await sla.projector().execute(slim(around_october_end()))
        transport = httpx.ASGITransport(app=sla.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
            ops = {"Authorization": "Bearer ops"}
            october = await http.get("/v1/kpis", params={"period": "2026-10"}, headers=ops)
            november = await http.get("/v1/kpis", params={"period": "2026-11"}, headers=ops)
    finally:
        await sla.stop()
    body = october.json()
    assert body["province"]["overdue_at_period_end"] == 2  # P1 and P3
    assert body["province"]["open_overdue"] == 1  # P3: P1 finished since
    assert body["units"][0]["overdue_at_period_end"] == 2
    # November has not ended: its "end" is now, when only P3 is open and overdue
    assert november.json()["province"]["overdue_at_period_end"] == 1

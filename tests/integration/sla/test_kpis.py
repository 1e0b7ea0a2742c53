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

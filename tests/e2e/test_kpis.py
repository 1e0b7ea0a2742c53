"""The KPIs of a small known month (docs/domain.md §7), from sla's API, equal hand-counted values.

One unit of its own, May 2025 (Asia/Ho_Chi_Minh): five dossiers, each chosen to land in
exactly the counts named beside it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.e2e.journeys import Dossier, calendar, due, get_json, poll, push, sla_view, vn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_kpis_of_a_small_known_month_are_exact(running_system):
    cal = calendar()
    unit = f"000.00.{uuid.uuid4().hex[:6]}.E2E"
    a, b, c, d, e = (Dossier(f"k-{x}", unit=unit) for x in "abcde")
    may = vn(2025, 5, 5, 10)
    may_due = due(may, 3)
    april = vn(2025, 4, 28, 10)
    april_due = due(april, 3)
    assert april_due.month == 5  # across the 30/4 and 1/5 holidays, by the calendar
    events = [
        # A: online, fee paid online, synced, digitised, finished early.
        a.received(may, channel="online", fee=True),
        a.event(
            "payment.completed", may + dt.timedelta(hours=1), {"method": "online_national_portal"}
        ),
        a.event("portal.sync_succeeded", may + dt.timedelta(minutes=1), {"status_code": 2}),
        a.result_ready(cal.subtract_working_days(may_due, 1)),
        a.event("dossier.result_digitized", cal.subtract_working_days(may_due, 1)),
        # B: in person, fee paid offline, finished on the due day before the due time.
        b.received(may, channel="in_person", fee=True),
        b.event("payment.completed", may + dt.timedelta(hours=1), {"method": "offline"}),
        b.result_ready(may_due - dt.timedelta(minutes=30)),
        # C: online, no fee, no electronic result needed, finished late.
        c.received(may, channel="online", e_result=False),
        c.result_ready(cal.add_working_days(may_due, 1)),
        # D: postal, still open and overdue.
        d.received(may, channel="postal"),
        # E: received in April, finished on time in May: finished in May, not received in it.
        e.received(april, channel="in_person"),
        e.result_ready(april_due - dt.timedelta(minutes=10)),
    ]
    await push(running_system, events)
    for x in (a, b, c, e):
        await sla_view(
            running_system, x.code, lambda v: v["timeliness"] in ("early", "on_time", "late")
        )
    await sla_view(running_system, d.code, lambda v: v["timeliness"] == "overdue")

    expected = {
        "unit_code": unit,
        "received": 4,  # A B C D
        "finished": 4,  # A B C E
        "early": 1,  # A
        "on_time": 2,  # B E
        "late": 1,  # C
        "open_overdue": 1,  # D
        "on_time_rate": 3 / 4,
        "online_submission_rate": 2 / 4,  # A C of A B C D
        "online_payment_rate": 1 / 2,  # A of the fee-bearing A B
        "digitization_rate": 1 / 3,  # A of A B E (C needs no electronic result)
        "sync_rate": 1 / 4,  # A of A B C D
    }

    async def fetch() -> dict:
        return await get_json(running_system, "sla", "/v1/kpis", period="2025-05", unit_code=unit)

    body = await poll(fetch, lambda k: len(k["units"]) == 1 and k["units"][0]["received"] == 4)
    row = body["units"][0]
    assert {k: row[k] for k in expected} == expected, row
    assert body["period"] == "2025-05"
    province = body["province"]
    assert {k: province[k] for k in ("received", "finished", "early", "on_time", "late")} == {
        "received": 4, "finished": 4, "early": 1, "on_time": 2, "late": 1
    }  # fmt: skip

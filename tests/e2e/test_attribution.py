"""Each attribution cause of docs/domain.md §6 end to end: official delay, software error (a
`system.error` naming the dossier, or the due time inside an outage), sync error (finishing
status synced late, or its sync failed), with DOST escalations for the software and sync causes.

All dossiers here fall in August 2025; the outage window is on 2025-08-14 08:00–10:00 and only
the outage journey's dossier is due inside it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from dunghan_common.events import EXAMPLES

from tests.e2e.journeys import (
    Dossier,
    apologies,
    attribution,
    calendar,
    due,
    get_json,
    iso,
    notifications,
    poll,
    push,
    vn,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def escalations_of(system, code: str, cause: str) -> list[dict]:
    """Escalations of one dossier, once there is one."""

    async def fetch() -> list[dict]:
        page = await get_json(system, "sync-audit", "/v1/escalations", cause=cause, limit=1000)
        return [e for e in page["items"] if e["dossier_id"] == code]

    return await poll(fetch, bool, what=f"{cause} escalation of {code}")


async def test_a_late_dossier_without_faults_is_an_official_delay_apologised_not_escalated(
    running_system,
):
    cal = calendar()
    d = Dossier("a-official")
    received = vn(2025, 8, 4, 9)
    await push(
        running_system,
        [d.received(received), d.result_ready(cal.add_working_days(due(received, 3), 1))],
    )

    found = await attribution(running_system, d.code, "official_delay")
    assert found["local_timeliness"] == "late"
    assert await apologies(running_system, d.code)
    page = await get_json(running_system, "sync-audit", "/v1/escalations", limit=1000)
    assert all(e["dossier_id"] != d.code for e in page["items"])


async def test_a_system_error_while_open_makes_a_late_dossier_a_software_error(running_system):
    cal = calendar()
    d = Dossier("a-syserr")
    received = vn(2025, 8, 5, 9)
    events = [
        d.received(received),
        d.event("system.error", vn(2025, 8, 6, 10)),
        d.result_ready(cal.add_working_days(due(received, 3), 1)),
    ]
    await push(running_system, events)

    found = await attribution(running_system, d.code, "software_error")
    assert found["local_timeliness"] == "late"
    assert any("error" in e["kind"] for e in found["evidence"]), found["evidence"]
    assert (await escalations_of(running_system, d.code, "software_error"))[0]["status"] == "open"
    # The letter is still owed, and its reason says the software was at fault.
    assert await apologies(running_system, d.code)


async def test_a_due_time_inside_an_outage_makes_a_late_dossier_a_software_error(running_system):
    cal = calendar()
    d = Dossier("a-outage")
    received = vn(2025, 8, 11, 9)
    expected_due = due(received, 3)
    assert expected_due == vn(2025, 8, 14, 9)  # inside the outage below
    outage = {"component": f"igate-e2e-{uuid.uuid4().hex[:6]}", "outage_id": str(uuid.uuid4())}
    started = dict(EXAMPLES["system.outage_started"], id=str(uuid.uuid4()), data=outage)
    ended = dict(EXAMPLES["system.outage_ended"], id=str(uuid.uuid4()), data=outage)
    started["time"], ended["time"] = iso(vn(2025, 8, 14, 8)), iso(vn(2025, 8, 14, 10))
    await push(running_system, [started, ended])
    await push(
        running_system,
        [d.received(received), d.result_ready(cal.add_working_days(expected_due, 1))],
    )

    found = await attribution(running_system, d.code, "software_error")
    assert found["local_timeliness"] == "late"
    assert any("outage" in e["kind"] for e in found["evidence"]), found["evidence"]
    await escalations_of(running_system, d.code, "software_error")


async def test_a_finishing_status_synced_after_the_due_date_is_a_sync_error(running_system):
    cal = calendar()
    d = Dossier("a-synclate")
    received = vn(2025, 8, 18, 9)
    expected_due = due(received, 3)
    finish = expected_due - dt.timedelta(hours=1)
    events = [
        d.received(received),
        d.result_ready(finish),
        d.event("portal.sync_succeeded", cal.add_working_days(expected_due, 1), {"status_code": 9}),
    ]
    await push(running_system, events)

    found = await attribution(running_system, d.code, "sync_error")
    assert found["local_timeliness"] == "on_time"
    assert found["portal_overdue"] is True
    await escalations_of(running_system, d.code, "sync_error")
    # Not late locally: no apology is owed to the applicant.
    assert await notifications(running_system, d.code, "apology") == []


async def test_a_failed_sync_of_the_finish_is_a_sync_error_resolved_when_the_portal_catches_up(
    running_system,
):
    received = vn(2025, 8, 19, 9)
    finish = due(received, 3) - dt.timedelta(hours=2)
    d = Dossier("a-syncfail")
    await push(
        running_system,
        [
            d.received(received),
            d.result_ready(finish),
            d.event("portal.sync_failed", finish + dt.timedelta(seconds=9), {"status_code": 9}),
        ],
    )
    found = await attribution(running_system, d.code, "sync_error")
    assert found["local_timeliness"] == "on_time"
    assert found["portal_overdue"] is True
    opened = (await escalations_of(running_system, d.code, "sync_error"))[0]
    assert opened["status"] == "open"

    snapshot = d.event(
        "portal.snapshot",
        vn(2025, 8, 25, 8),
        {"status_code": 9, "due_at": iso(due(received, 3)), "finished_at": iso(finish)},
    )
    await push(running_system, [snapshot])
    resolved = await poll(
        lambda: get_json(running_system, "sync-audit", f"/v1/escalations/{opened['id']}"),
        lambda e: e["status"] == "resolved",
        what="the sync escalation resolving itself",
    )
    assert resolved["resolved_at"] is not None

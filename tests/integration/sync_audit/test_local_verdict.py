"""The local verdict is sla's announcement, never guessed: a paused dossier on time is never an
official delay, and nothing is attributed while sla's word on a finish or a passed due is awaited.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio

from tests.integration.sync_audit.harness import (
    Harness,
    dossier_id,
    event,
    received,
    running,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = "2025-08-10T12:00:00+07:00"
# Received 08-01 10:00, the receipt says 08-06 10:00; two days' pause moves sla's date to 08-08.
PAUSED_DUE = "2025-08-08T10:00:00+07:00"
FINISHED = "2025-08-07T09:00:00+07:00"  # after the receipt's due, before the paused one
FAILED = {"status_code": 9, "error_code": "DVC-504", "error_message": "gateway timeout"}


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    async with running(fresh_database, topic_factory, NOW) as h:
        yield h


def paused_and_finished(d: str) -> list[dict]:
    """A supplement stops the clock for two working days; the result is ready on time."""
    return [
        received(d),
        event(
            "dossier.supplement_requested",
            d,
            "2025-08-04T09:00:00+07:00",
            {"reason": "thiếu bản vẽ"},
        ),
        event("dossier.supplement_received", d, "2025-08-06T09:00:00+07:00", {}),
        event("dossier.result_ready", d, FINISHED, {}),
    ]


async def settled(audit: Harness, d: str, kinds: set[str]) -> dict:
    """The attribution once the evidence holds every kind asked for (all events consumed)."""
    async with asyncio.timeout(30):
        while True:
            body = await audit.attribution(d)
            if kinds <= {e["kind"] for e in body["evidence"]}:
                return body
            await asyncio.sleep(0.1)


async def escalated(audit: Harness, d: str) -> list[dict]:
    page = (await audit.get("/v1/escalations", params={"limit": 1000})).json()
    return [e for e in page["items"] if e["dossier_id"] == d]


async def unattributed(audit: Harness, d: str) -> bool:
    """Whether the dossier has no attribution after its events were consumed."""
    await asyncio.sleep(1.5)
    return (await audit.get(f"/v1/dossiers/{d}/attribution")).status_code == 404


async def test_a_paused_dossier_finished_on_time_is_not_attributed(audit: Harness) -> None:
    d = dossier_id()
    synced = event("portal.sync_succeeded", d, "2025-08-07T09:01:00+07:00", {"status_code": 9})
    await audit.send(*paused_and_finished(d), synced)
    assert await unattributed(audit, d)  # finished here, sla's verdict not yet announced
    await audit.finished(d, FINISHED, "early", PAUSED_DUE)
    body = await settled(audit, d, {"dossier.result_ready", "sla.finished"})
    assert (body["cause"], body["revision"], body["revisions"]) == ("none", 0, [])
    assert (body["local_timeliness"], body["portal_overdue"]) == ("early", False)
    assert body["portal_view"] == "agrees"
    assert await audit.findings(d, 0) == []  # nothing for notify to apologise for
    assert await escalated(audit, d) == []


async def test_sla_s_paused_due_date_judges_the_portal_s_finish(audit: Harness) -> None:
    d = dossier_id()
    synced = event("portal.sync_succeeded", d, "2025-08-07T09:01:00+07:00", {"status_code": 9})
    await audit.send(*paused_and_finished(d), synced)
    await audit.finished(d, FINISHED, "early", PAUSED_DUE)
    body = await settled(audit, d, {"sla.finished"})
    (due,) = [e for e in body["evidence"] if e["kind"] == "due"]
    assert datetime.fromisoformat(due["time"]) == datetime.fromisoformat(PAUSED_DUE)
    assert (body["cause"], body["local_timeliness"], body["portal_overdue"]) == (
        "none",
        "early",
        False,
    )
    # The same finish reaching the portal after sla's date is a sync error.
    late = dossier_id()
    late_sync = event(
        "portal.sync_succeeded", late, "2025-08-09T08:00:00+07:00", {"status_code": 9}
    )
    await audit.send(*paused_and_finished(late), late_sync)
    await audit.finished(late, FINISHED, "early", PAUSED_DUE)
    body = await audit.attribution(late, "sync_error")
    assert body["local_timeliness"] == "early"


async def test_a_paused_dossier_whose_finish_was_refused_is_a_sync_error(
    audit: Harness,
) -> None:
    d = dossier_id()
    failed = event("portal.sync_failed", d, "2025-08-07T09:02:00+07:00", FAILED)
    await audit.send(*paused_and_finished(d), failed)
    assert await unattributed(audit, d)  # sla's verdict on the finish is awaited, not guessed
    await audit.finished(d, FINISHED, "early", PAUSED_DUE)
    body = await audit.attribution(d, "sync_error")
    assert (body["revision"], body["local_timeliness"]) == (1, "early")
    assert any("DVC-504" in e["detail"] for e in body["evidence"])
    found = await audit.findings(d, 2)
    assert [e.type for e in found] == ["audit.breach_attributed", "audit.escalation_opened"]
    assert found[0].data["cause"] == "sync_error"
    assert [e["cause"] for e in await escalated(audit, d)] == ["sync_error"]


async def test_a_late_finish_is_an_official_delay_at_once_never_a_provisional_sync_error(
    audit: Harness,
) -> None:
    d = dossier_id()
    late = "2025-08-07T09:00:00+07:00"  # no pause: late
    failed = event("portal.sync_failed", d, "2025-08-07T09:02:00+07:00", FAILED)
    await audit.send(received(d), event("dossier.result_ready", d, late, {}), failed)
    assert await unattributed(audit, d)
    await audit.finished_late(d, late)
    body = await audit.attribution(d, "official_delay", revision=1)
    assert body["local_timeliness"] == "late"
    assert [r["cause"] for r in body["revisions"]] == ["official_delay"]
    assert await escalated(audit, d) == []


async def test_open_past_due_waits_for_slas_breach_then_a_software_fault_counts(
    audit: Harness,
) -> None:
    d = dossier_id()
    error = {"component": "igate-core", "error_code": "E-DB-17", "message": "deadlock"}
    await audit.send(received(d), event("system.error", d, "2025-08-04T09:00:00+07:00", error))
    assert await unattributed(audit, d)  # open past due: sla's breach is on its way
    await audit.breached(d)
    body = await audit.attribution(d, "software_error", revision=1)
    assert body["local_timeliness"] == "overdue"
    assert [e["cause"] for e in await escalated(audit, d)] == ["software_error"]

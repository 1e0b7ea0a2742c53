"""Late locally is sla's verdict: a paused dossier on time is never an official delay.

The defect: sync-audit judged local lateness by the receipt's `due_at`, without the stopped-clock
time, so a dossier paused for a supplement and finished after the receipt's date (but before the
pause-adjusted one) was attributed `official_delay` and got an apology letter.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import pytest_asyncio

from tests.integration.sync_audit.harness import (
    Harness,
    dossier_id,
    event,
    received,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = "2025-08-10T12:00:00+07:00"
GRACE_S = 120
# Received 08-01 10:00, the receipt says 08-06 10:00; two days' pause moves sla's date to 08-08.
PAUSED_DUE = "2025-08-08T10:00:00+07:00"
FINISHED = "2025-08-07T09:00:00+07:00"  # after the receipt's due, before the paused one
FAILED = {"status_code": 9, "error_code": "DVC-504", "error_message": "gateway timeout"}


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    h = await Harness.start(fresh_database, topic_factory, NOW, local_verdict_grace_s=GRACE_S)
    try:
        yield h
    finally:
        await h.stop()


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


async def after_grace(audit: Harness) -> None:
    """Let sla's grace run out and run one reconciliation round."""
    audit.clock.set(audit.clock.now() + timedelta(seconds=GRACE_S + 1))
    await audit.c.reconcile()


async def escalated(audit: Harness, d: str) -> list[dict]:
    page = (await audit.get("/v1/escalations", params={"limit": 1000})).json()
    return [e for e in page["items"] if e["dossier_id"] == d]


async def test_a_paused_dossier_finished_on_time_is_not_attributed(audit: Harness) -> None:
    d = dossier_id()
    synced = event("portal.sync_succeeded", d, "2025-08-07T09:01:00+07:00", {"status_code": 9})
    await audit.send(*paused_and_finished(d), synced)
    body = await settled(audit, d, {"dossier.result_ready", "portal.sync_succeeded"})
    assert (body["cause"], body["revision"]) == ("none", 0)
    assert (body["local_timeliness"], body["portal_overdue"]) == ("on_time", False)
    await after_grace(audit)
    await asyncio.sleep(1)
    body = await audit.attribution(d)
    assert (body["cause"], body["revision"], body["revisions"]) == ("none", 0, [])
    assert await audit.findings(d, 0) == []  # nothing for notify to apologise for
    assert await escalated(audit, d) == []


async def test_sla_s_paused_due_date_judges_the_portal_s_finish(audit: Harness) -> None:
    d = dossier_id()
    # sla's apology window, after the supplement came back, names the pause-adjusted date.
    facts = {
        "unit_code": "000.00.12.H50",
        "procedure_code": "1.004227",
        "received_at": "2025-08-01T10:00:00+07:00",
        "due_at": PAUSED_DUE,
    }
    window = {"dossier": facts, "window_opened_at": "2025-08-07T10:00:00+07:00"}
    synced = event("portal.sync_succeeded", d, "2025-08-07T09:01:00+07:00", {"status_code": 9})
    await audit.send(*paused_and_finished(d), synced)
    await settled(audit, d, {"dossier.result_ready", "portal.sync_succeeded"})
    await audit.send_alert("sla.apology_window_opened", d, window, "2025-08-07T10:00:00+07:00")
    async with asyncio.timeout(30):
        while True:
            body = await audit.attribution(d)
            (due,) = [e for e in body["evidence"] if e["kind"] == "due"]
            if datetime.fromisoformat(due["time"]) == datetime.fromisoformat(PAUSED_DUE):
                break
            await asyncio.sleep(0.1)
    assert due["detail"] == "due date judged by"
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
    await audit.send_alert("sla.apology_window_opened", late, window, "2025-08-07T10:00:00+07:00")
    body = await audit.attribution(late, "sync_error")
    assert body["local_timeliness"] == "early"


async def test_a_paused_dossier_whose_finish_never_reached_the_portal_is_a_sync_error(
    audit: Harness,
) -> None:
    d = dossier_id()
    failed = event("portal.sync_failed", d, "2025-08-07T09:02:00+07:00", FAILED)
    await audit.send(*paused_and_finished(d), failed)
    body = await settled(audit, d, {"dossier.result_ready", "portal.sync_failed"})
    # Finished after the receipt's date: sla may still call it late, so the audit waits.
    assert (body["cause"], body["portal_overdue"]) == ("none", True)
    await after_grace(audit)
    body = await audit.attribution(d, "sync_error")
    assert (body["revision"], body["local_timeliness"]) == (1, "on_time")
    assert any("DVC-504" in e["detail"] for e in body["evidence"])
    found = await audit.findings(d, 2)
    assert [e.type for e in found] == ["audit.breach_attributed", "audit.escalation_opened"]
    assert found[0].data["cause"] == "sync_error"
    assert [e["cause"] for e in await escalated(audit, d)] == ["sync_error"]


async def test_sla_finished_late_after_a_provisional_sync_error_revises_the_cause(
    audit: Harness,
) -> None:
    d = dossier_id()
    late = "2025-08-07T09:00:00+07:00"  # no pause: late, but sla has not said so yet
    failed = event("portal.sync_failed", d, "2025-08-07T09:02:00+07:00", FAILED)
    await audit.send(received(d), event("dossier.result_ready", d, late, {}), failed)
    body = await settled(audit, d, {"dossier.result_ready", "portal.sync_failed"})
    assert (body["cause"], body["portal_overdue"]) == ("none", True)
    await after_grace(audit)  # sla silent past its grace (down, lagging): provisional
    await audit.attribution(d, "sync_error", revision=1)
    await audit.finished_late(d, late)
    body = await audit.attribution(d, "official_delay", revision=2)
    assert body["local_timeliness"] == "late"
    causes = [(r["revision"], r["cause"], r["previous_cause"]) for r in body["revisions"]]
    assert causes == [(1, "sync_error", None), (2, "official_delay", "sync_error")]
    assert "sla.finished_late" in {e["kind"] for e in body["evidence"]}
    found = await audit.findings(d, 3)
    breaches = [
        (e.data["revision"], e.data["cause"], e.data["previous_cause"])
        for e in found
        if e.type == "audit.breach_attributed"
    ]
    assert breaches == [(1, "sync_error", None), (2, "official_delay", "sync_error")]


async def test_a_late_system_error_turns_a_provisional_sync_error_into_a_software_error(
    audit: Harness,
) -> None:
    d = dossier_id()
    await audit.send(received(d))
    assert (await audit.attribution(d))["cause"] == "none"  # open past due: waits for sla
    await after_grace(audit)
    await audit.attribution(d, "sync_error", revision=1)
    error = {"component": "igate-core", "error_code": "E-DB-17", "message": "deadlock"}
    await audit.send(event("system.error", d, "2025-08-04T09:00:00+07:00", error))
    await asyncio.sleep(1)
    # A software fault alone is not lateness: still not late locally until sla says so.
    assert (await audit.attribution(d))["cause"] == "sync_error"
    await audit.breached(d)
    body = await audit.attribution(d, "software_error", revision=2)
    assert body["local_timeliness"] == "overdue"
    kinds = {e["cause"] for e in await escalated(audit, d)}
    assert kinds == {"sync_error", "software_error"}

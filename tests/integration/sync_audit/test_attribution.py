"""Each cause and evidence path of docs/domain.md §6 through the real broker and database."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio
from dunghan_common.events.findings import BreachAttributed

from tests.integration.sync_audit.harness import (
    DUE_AT,
    RECEIVED_AT,
    UNIT_CODE,
    Harness,
    dossier_id,
    event,
    received,
    running,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
AFTER_DUE = "2025-08-10T12:00:00+07:00"
FINISHED_ON_TIME = "2025-08-05T09:00:00+07:00"


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    async with running(fresh_database, topic_factory, AFTER_DUE) as h:
        yield h


def ready(dossier: str, time: str = FINISHED_ON_TIME) -> dict:
    return event("dossier.result_ready", dossier, time, {})


def sync_ok(dossier: str, time: str, status: int = 9) -> dict:
    return event("portal.sync_succeeded", dossier, time, {"status_code": status})


def kinds(body: dict) -> set[str]:
    return {e["kind"] for e in body["evidence"]}


async def test_a_failed_sync_of_the_finishing_status_is_a_sync_error_once_due_passes(
    audit: Harness,
) -> None:
    d = dossier_id()
    audit.clock.set(datetime.fromisoformat("2025-08-05T12:00:00+07:00"))  # before the due time
    failed = {"status_code": 9, "error_code": "DVC-504", "error_message": "gateway timeout"}
    await audit.send(
        received(d), ready(d), event("portal.sync_failed", d, "2025-08-05T09:05:00+07:00", failed)
    )
    await audit.finished(d, FINISHED_ON_TIME)
    body = await audit.attribution(d)
    assert body["cause"] == "none"
    assert body["local_timeliness"] == "early"
    assert body["portal_view"] == "disagrees"  # the portal lacks the finish, not late yet
    # No new event: the reconciliation tick alone turns it into a sync error after the due time.
    audit.clock.set(datetime.fromisoformat(AFTER_DUE))
    assert await audit.c.reconcile() == 1
    body = await audit.attribution(d, "sync_error")
    assert body["portal_overdue"] is True
    assert body["revision"] == 1
    assert {"portal.sync_failed", "portal_overdue"} <= kinds(body)
    assert any("DVC-504" in e["detail"] for e in body["evidence"])
    found = await audit.findings(d, 2)
    assert [e.type for e in found] == ["audit.breach_attributed", "audit.escalation_opened"]
    assert found[0].source == "dunghan-sync-audit"
    metrics = (await audit.api.get("/metrics")).text
    assert 'dunghan_sync_audit_sync_failures_total{error_code="DVC-504"} 1.0' in metrics
    assert 'dunghan_sync_audit_escalations_open{cause="sync_error"} 1.0' in metrics


async def test_a_finishing_status_synced_after_the_due_date_is_a_sync_error(
    audit: Harness,
) -> None:
    d = dossier_id()
    await audit.send(received(d), ready(d), sync_ok(d, "2025-08-07T08:00:00+07:00"))
    await audit.finished(d, FINISHED_ON_TIME)
    body = await audit.attribution(d, "sync_error")
    assert body["local_timeliness"] == "early"
    assert body["portal_view"] == "disagrees"
    assert body["portal_overdue"] is True
    assert "portal.sync_succeeded" in kinds(body)


async def test_a_disagreeing_snapshot_is_a_sync_error_whatever_the_arrival_order(
    audit: Harness,
) -> None:
    d = dossier_id()
    snapshot = {
        "status_code": 9,
        "due_at": DUE_AT,
        "finished_at": "2025-08-07T08:00:00+07:00",
    }
    events = [
        received(d),
        ready(d),
        sync_ok(d, "2025-08-05T09:01:00+07:00"),
        event("portal.snapshot", d, "2025-08-08T07:00:00+07:00", snapshot),
    ]
    shuffled = events + events[:2]  # duplicates too
    random.Random(5).shuffle(shuffled)
    await audit.send(*shuffled)
    await audit.finished(d, FINISHED_ON_TIME)
    body = await audit.attribution(d, "sync_error")
    assert "portal.snapshot" in kinds(body)
    assert body["revision"] == 1


async def test_an_outage_over_the_due_time_is_a_software_error(audit: Harness) -> None:
    d = dossier_id()
    outage = {"component": "igate-core", "outage_id": "out-1"}
    await audit.send(received(d))
    await audit.breached(d)
    assert (await audit.attribution(d, "official_delay"))["local_timeliness"] == "overdue"
    # The outage arrives after the attribution: the window re-attributes the dossier.
    await audit.send(
        event("system.outage_ended", None, "2025-08-06T14:00:00+07:00", outage),
        event("system.outage_started", None, "2025-08-06T08:00:00+07:00", outage),
    )
    body = await audit.attribution(d, "software_error")
    assert "outage" in kinds(body)
    assert body["revision"] == 2


async def test_a_system_error_while_open_is_a_software_error(audit: Harness) -> None:
    d = dossier_id()
    error = {"component": "igate-core", "error_code": "E-DB-17", "message": "deadlock"}
    await audit.send(received(d), event("system.error", d, "2025-08-04T09:00:00+07:00", error))
    await audit.breached(d)
    body = await audit.attribution(d, "software_error")
    assert body["revision"] == 1
    assert "system.error" in kinds(body)
    found = await audit.findings(d, 2)
    assert found[1].type == "audit.escalation_opened"
    assert found[1].data["cause"] == "software_error"


async def test_a_deadline_mismatch_flag_is_a_software_error(audit: Harness) -> None:
    d = dossier_id()
    await audit.send(received(d))
    await audit.breached(d)
    await audit.attribution(d, "official_delay")
    facts = {
        "unit_code": UNIT_CODE,
        "procedure_code": "1.004227",
        "received_at": RECEIVED_AT,
        "due_at": DUE_AT,
        "computed_due_at": "2025-08-06T15:00:00+07:00",
    }
    flag = {
        "dossier": facts,
        "flag": "deadline_mismatch",
        "detail": "receipt due date differs from the computed one by 5 working hours",
        "raised_at": RECEIVED_AT,
    }
    await audit.send_alert("sla.flag_raised", d, flag, RECEIVED_AT)
    body = await audit.attribution(d, "software_error")
    assert "flag" in kinds(body)


async def test_a_plain_official_delay_opens_no_escalation(audit: Harness) -> None:
    d = dossier_id()
    late = "2025-08-08T09:00:00+07:00"
    await audit.send(received(d), ready(d, late), sync_ok(d, "2025-08-08T09:01:00+07:00"))
    await audit.finished_late(d, late)
    body = await audit.attribution(d, "official_delay")
    assert body["local_timeliness"] == "late"
    found = await audit.findings(d, 1)
    assert [e.type for e in found] == ["audit.breach_attributed"]
    page = (await audit.get("/v1/escalations")).json()
    assert all(e["dossier_id"] != d for e in page["items"])


async def test_late_evidence_changes_the_cause_and_keeps_both_revisions(audit: Harness) -> None:
    d = dossier_id()
    await audit.send(received(d))
    await audit.breached(d)
    await audit.attribution(d, "official_delay")
    error = {"component": "igate-core", "error_code": "E-Q-3", "message": "queue lost"}
    await audit.send(event("system.error", d, "2025-08-03T10:00:00+07:00", error))
    body = await audit.attribution(d, "software_error", revision=2)
    causes = [(r["revision"], r["cause"], r["previous_cause"]) for r in body["revisions"]]
    assert causes == [(1, "official_delay", None), (2, "software_error", "official_delay")]
    found = await audit.findings(d, 3)
    breaches = [
        BreachAttributed.model_validate(e.data)
        for e in found
        if e.type == "audit.breach_attributed"
    ]
    assert [(b.revision, b.cause, b.previous_cause) for b in breaches] == [
        (1, "official_delay", None),
        (2, "software_error", "official_delay"),
    ]
    assert len({e.id for e in found}) == 3


async def test_replayed_events_change_nothing(audit: Harness) -> None:
    d = dossier_id()
    events = [received(d), ready(d), sync_ok(d, "2025-08-07T08:00:00+07:00")]
    await audit.send(*events)
    await audit.finished(d, FINISHED_ON_TIME)
    await audit.attribution(d, "sync_error")
    await audit.send(*events)
    await asyncio.sleep(2)
    body = await audit.attribution(d)
    assert body["revision"] == 1
    assert len(await audit.findings(d, 2)) == 2


async def test_no_portal_evidence_is_no_sync_error_but_a_portal_check(audit: Harness) -> None:
    d = dossier_id()
    await audit.send(received(d), ready(d))
    await audit.finished(d, FINISHED_ON_TIME)
    body = await audit.attribution(d)
    assert (body["cause"], body["portal_view"]) == ("none", "unknown")
    checks = (await audit.get("/v1/portal-checks", params={"period": "2025-08"})).json()
    assert d in [c["dossier_id"] for c in checks["items"]]
    corrections = (await audit.get("/v1/corrections", params={"period": "2025-08"})).json()
    assert all(c["dossier_id"] != d for c in corrections["items"])
    page = (await audit.get("/v1/escalations")).json()
    assert all(e["dossier_id"] != d for e in page["items"])
    # Positive evidence arrives (the portal refused the finishing push): a sync error.
    refused = {"status_code": 9, "error_code": "DVC-500", "error_message": "refused"}
    await audit.send(event("portal.sync_failed", d, "2025-08-05T09:05:00+07:00", refused))
    body = await audit.attribution(d, "sync_error")
    assert body["portal_view"] == "disagrees"
    checks = (await audit.get("/v1/portal-checks", params={"period": "2025-08"})).json()
    assert d not in [c["dossier_id"] for c in checks["items"]]


async def test_a_verdict_overturned_by_late_pauses_withdraws_the_escalation(audit: Harness) -> None:
    d = dossier_id()
    error = {"component": "igate-core", "error_code": "E-DB-17", "message": "deadlock"}
    await audit.send(received(d), event("system.error", d, "2025-08-04T09:00:00+07:00", error))
    await audit.breached(d)
    await audit.attribution(d, "software_error")
    # Late pause events move the due date: sla revises its verdict, then announces the end.
    moved = "2025-08-12T10:00:00+07:00"
    await audit.revised(d, ("overdue", DUE_AT), ("within_time", moved), applied=6)
    body = await audit.attribution(d, "none", revision=2)
    assert body["local_timeliness"] == "within_time"
    await audit.send(ready(d, "2025-08-11T09:00:00+07:00"))
    await audit.finished(d, "2025-08-11T09:00:00+07:00", "early", moved, applied=7)
    async with asyncio.timeout(30):
        while (body := await audit.attribution(d))["local_timeliness"] != "early":
            await asyncio.sleep(0.1)
    assert (body["cause"], body["revision"]) == ("none", 2)
    page = (await audit.get("/v1/escalations", params={"status": "withdrawn"})).json()
    [withdrawn] = [e for e in page["items"] if e["dossier_id"] == d]
    assert "within_time" in withdrawn["withdrawn_reason"]
    found = await audit.findings(d, 4)
    assert [e.type for e in found].count("audit.escalation_withdrawn") == 1


async def test_one_outage_is_one_escalation_with_every_dossier_it_touched(audit: Harness) -> None:
    outage = {"component": "igate-core", "outage_id": "out-group"}
    await audit.send(
        event("system.outage_started", None, "2025-08-06T08:00:00+07:00", outage),
        event("system.outage_ended", None, "2025-08-06T14:00:00+07:00", outage),
    )
    dossiers = [dossier_id() for _ in range(3)]
    for d in dossiers:
        await audit.send(received(d))
        await audit.breached(d)
    for d in dossiers:
        await audit.attribution(d, "software_error")
    page = (await audit.get("/v1/escalations", params={"cause": "software_error"})).json()
    grouped = [e for e in page["items"] if e.get("outage_id") == "out-group"]
    assert len(grouped) == 1
    assert sorted(grouped[0]["dossier_ids"]) == sorted(dossiers)

"""The reconciliation loop: due times passing with no new event, the lag gauge."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio
from sync_audit.bootstrap import reconcile_forever

from tests.integration.sync_audit.harness import Harness, dossier_id, event, received, running

pytestmark = pytest.mark.asyncio(loop_scope="session")
BEFORE_DUE = "2025-08-05T12:00:00+07:00"
PAST_DUE = "2025-08-06T10:06:00+07:00"  # 360 s after the due time (10:00)
FINISHED = "2025-08-05T09:00:00+07:00"
LATER_DUE = "2025-08-07T10:00:00+07:00"


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    # Two dossiers per round, so a backlog of five takes three rounds back to back.
    async with running(fresh_database, topic_factory, BEFORE_DUE, reconcile_batch=2) as h:
        yield h


def _metric(text: str, name: str, labels: str = "") -> float | None:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


async def _loop(h: Harness, interval_s: float) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """Start the production loop with its own interval; the event stops it."""
    settings = h.c.settings.audit.model_copy(update={"reconcile_interval_s": interval_s})
    h.c.settings = h.c.settings.model_copy(update={"audit": settings})
    stop = asyncio.Event()
    return stop, asyncio.create_task(reconcile_forever(h.c, stop))


async def test_the_loop_attributes_passed_due_times_in_back_to_back_rounds(
    audit: Harness,
) -> None:
    refused = [dossier_id() for _ in range(5)]
    failed = {"status_code": 9, "error_code": "DVC-504", "error_message": "timeout"}
    for d in refused:
        await audit.send(
            received(d),
            event("dossier.result_ready", d, FINISHED, {}),
            event("portal.sync_failed", d, "2025-08-05T09:05:00+07:00", failed),
        )
        await audit.finished(d, FINISHED)
    for d in refused:
        body = await audit.attribution(d)
        assert (body["cause"], body["portal_view"]) == ("none", "disagrees")
    audit.clock.set(datetime.fromisoformat(PAST_DUE))
    # A long interval: only the back-to-back rounds of the backlog can run in this test.
    stop, task = await _loop(audit, interval_s=3600)
    try:
        # The portal refused the finish and its due date passed: a sync error, on evidence.
        for d in refused:
            body = await audit.attribution(d, "sync_error")
            assert (body["local_timeliness"], body["portal_overdue"]) == ("early", True)
        metrics = (await audit.api.get("/metrics")).text
        # The last round (one dossier) waited 360 s past its check (the due time).
        lag = _metric(metrics, "dunghan_sync_audit_reconciliation_lag_seconds")
        assert lag == 360.0
        sync = '{cause="sync_error"}'
        assert _metric(metrics, "dunghan_sync_audit_attributions_total", sync) == 5.0
        found = await audit.findings(refused[0], 2)
        assert [e.type for e in found] == ["audit.breach_attributed", "audit.escalation_opened"]
    finally:
        stop.set()
        async with asyncio.timeout(5):  # the stop event ends the loop at once, not after 1 h
            await task


async def test_the_loop_wakes_each_interval_and_catches_a_due_time_passing(
    audit: Harness,
) -> None:
    audit.clock.set(datetime.fromisoformat(PAST_DUE))
    d = dossier_id()
    failed = {"status_code": 9, "error_code": "DVC-504", "error_message": "timeout"}
    await audit.send(
        received(d, due_at=LATER_DUE),
        event("dossier.result_ready", d, "2025-08-06T11:00:00+07:00", {}),
        event("portal.sync_failed", d, "2025-08-06T11:05:00+07:00", failed),
    )
    await audit.finished(d, "2025-08-06T11:00:00+07:00", due_at=LATER_DUE)
    body = await audit.attribution(d)
    assert (body["cause"], body["local_timeliness"]) == ("none", "early")
    stop, task = await _loop(audit, interval_s=0.2)
    try:
        await asyncio.sleep(0.5)  # idle rounds: nothing due yet, nothing changes
        assert (await audit.attribution(d))["cause"] == "none"
        audit.clock.set(datetime.fromisoformat("2025-08-07T10:00:30+07:00"))
        body = await audit.attribution(d, "sync_error")
        assert body["revision"] == 1
        # Once nothing waits, an idle round reports no lag.
        async with asyncio.timeout(5):
            while True:
                metrics = (await audit.api.get("/metrics")).text
                if _metric(metrics, "dunghan_sync_audit_reconciliation_lag_seconds") == 0.0:
                    break
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task
    assert task.exception() is None


async def test_an_open_dossier_past_due_waits_for_slas_breach_and_is_not_rechecked(
    audit: Harness,
) -> None:
    audit.clock.set(datetime.fromisoformat("2025-08-10T09:00:00+07:00"))
    d = dossier_id()
    due = "2025-08-11T10:00:00+07:00"
    await audit.send(received(d, due_at=due))
    assert (await audit.attribution(d))["cause"] == "none"
    # The due time passed; the tick runs before sla's breach alert arrives: nothing is guessed.
    audit.clock.set(datetime.fromisoformat("2025-08-11T10:00:20+07:00"))
    assert await audit.c.reconcile() == 1
    assert (await audit.attribution(d))["cause"] == "none"
    assert await audit.c.reconcile() == 0  # not re-checked every round while sla is awaited
    await audit.breached(d, due)
    body = await audit.attribution(d, "official_delay")
    assert (body["revision"], body["local_timeliness"]) == (1, "overdue")
    assert "sla.deadline_breached" in {e["kind"] for e in body["evidence"]}
    found = await audit.findings(d, 1)
    assert [e.type for e in found] == ["audit.breach_attributed"]
    page = (await audit.get("/v1/escalations")).json()
    assert all(e["dossier_id"] != d for e in page["items"])

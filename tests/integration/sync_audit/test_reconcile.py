"""The reconciliation loop: due times passing with no new event, sla's grace, the lag gauge."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio
from sync_audit.bootstrap import reconcile_forever

from tests.integration.sync_audit.harness import Harness, dossier_id, event, received

pytestmark = pytest.mark.asyncio(loop_scope="session")
BEFORE_DUE = "2025-08-05T12:00:00+07:00"
GRACE_S = 60
PAST_DUE = "2025-08-06T10:06:00+07:00"  # 300 s after the due time (10:00) and sla's grace
LATER_DUE = "2025-08-07T10:00:00+07:00"


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    # Two dossiers per round, so a backlog of five takes three rounds back to back.
    h = await Harness.start(
        fresh_database,
        topic_factory,
        BEFORE_DUE,
        reconcile_batch=2,
        local_verdict_grace_s=GRACE_S,
    )
    try:
        yield h
    finally:
        await h.stop()


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
    open_ones = [dossier_id() for _ in range(4)]
    finished = dossier_id()
    failed = {"status_code": 9, "error_code": "DVC-504", "error_message": "timeout"}
    await audit.send(
        *(received(d) for d in open_ones),
        received(finished),
        event("dossier.result_ready", finished, "2025-08-05T09:00:00+07:00", {}),
        event("portal.sync_failed", finished, "2025-08-05T09:05:00+07:00", failed),
    )
    for d in [*open_ones, finished]:
        assert (await audit.attribution(d))["cause"] == "none"
    audit.clock.set(datetime.fromisoformat(PAST_DUE))
    # A long interval: only the back-to-back rounds of the backlog can run in this test.
    stop, task = await _loop(audit, interval_s=3600)
    try:
        # sla said nothing within its grace: the portal shows them unfinished past the due
        # date and they are not late locally, so a (provisional) sync error.
        for d in open_ones:
            body = await audit.attribution(d, "sync_error")
            assert (body["local_timeliness"], body["portal_overdue"]) == ("within_time", True)
        body = await audit.attribution(finished, "sync_error")
        assert body["portal_overdue"] is True
        metrics = (await audit.api.get("/metrics")).text
        # The last round (one dossier) waited 300 s past its check (due + grace); the loop
        # now sleeps.
        lag = _metric(metrics, "dunghan_sync_audit_reconciliation_lag_seconds")
        assert lag == 300.0
        sync = '{cause="sync_error"}'
        assert _metric(metrics, "dunghan_sync_audit_attributions_total", sync) == 5.0
        found = await audit.findings(finished, 2)
        assert [e.type for e in found] == ["audit.breach_attributed", "audit.escalation_opened"]
        # sla's breach comes late after all: the cause is revised, the first one kept.
        await audit.breached(open_ones[0])
        body = await audit.attribution(open_ones[0], "official_delay", revision=2)
        assert body["local_timeliness"] == "overdue"
        causes = [(r["revision"], r["cause"], r["previous_cause"]) for r in body["revisions"]]
        assert causes == [(1, "sync_error", None), (2, "official_delay", "sync_error")]
    finally:
        stop.set()
        async with asyncio.timeout(5):  # the stop event ends the loop at once, not after 1 h
            await task


async def test_the_loop_wakes_each_interval_and_catches_a_due_time_passing(
    audit: Harness,
) -> None:
    audit.clock.set(datetime.fromisoformat(PAST_DUE))
    d = dossier_id()
    await audit.send(received(d, due_at=LATER_DUE))
    assert (await audit.attribution(d))["local_timeliness"] == "within_time"
    stop, task = await _loop(audit, interval_s=0.2)
    try:
        await asyncio.sleep(0.5)  # idle rounds: nothing due yet, nothing changes
        assert (await audit.attribution(d))["cause"] == "none"
        # Past the due time but inside sla's grace: its breach alert may be in flight.
        audit.clock.set(datetime.fromisoformat("2025-08-07T10:00:30+07:00"))
        await asyncio.sleep(0.5)
        assert (await audit.attribution(d))["cause"] == "none"
        audit.clock.set(datetime.fromisoformat("2025-08-07T10:01:30+07:00"))
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


async def test_a_breach_inside_the_grace_is_attributed_once_with_no_sync_escalation(
    audit: Harness,
) -> None:
    audit.clock.set(datetime.fromisoformat("2025-08-10T09:00:00+07:00"))
    d = dossier_id()
    due = "2025-08-11T10:00:00+07:00"
    await audit.send(received(d, due_at=due))
    assert (await audit.attribution(d))["cause"] == "none"
    # The due time passed; the tick runs before sla's breach alert arrives.
    audit.clock.set(datetime.fromisoformat("2025-08-11T10:00:20+07:00"))
    await audit.c.reconcile()
    assert (await audit.attribution(d))["cause"] == "none"
    await audit.breached(d, due)
    body = await audit.attribution(d, "official_delay")
    assert (body["revision"], body["local_timeliness"]) == (1, "overdue")
    assert "sla.deadline_breached" in {e["kind"] for e in body["evidence"]}
    audit.clock.set(datetime.fromisoformat("2025-08-11T11:00:00+07:00"))
    await audit.c.reconcile()
    assert (await audit.attribution(d))["revision"] == 1
    found = await audit.findings(d, 1)
    assert [e.type for e in found] == ["audit.breach_attributed"]
    page = (await audit.get("/v1/escalations")).json()
    assert all(e["dossier_id"] != d for e in page["items"])

"""One apology letter per dossier and appointment, never two: not when the same events are
pushed again (ingest answers duplicates), not when new events about the finished dossier make
sla fold it again, and not when sla is killed mid-flight and re-delivers what it had not
committed."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt

import pytest

from tests.e2e.journeys import (
    Dossier,
    apologies,
    attribution,
    calendar,
    due,
    notifications,
    push,
    recent_working_day,
    sla_view,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
SETTLE_S = 3.0


async def settled_ids(system, code: str) -> set[int]:
    """The apology notification ids once they stop changing for SETTLE_S."""
    seen = {n["id"] for n in await notifications(system, code, "apology")}
    while True:
        await asyncio.sleep(SETTLE_S)
        now = {n["id"] for n in await notifications(system, code, "apology")}
        if now == seen:
            return now
        seen = now


async def test_an_apology_letter_is_issued_exactly_once(running_system):
    cal = calendar()
    d = Dossier("once")
    # Recent enough that the applicant's contact is still within its retention (180 days).
    received = recent_working_day(days_ago=30)
    late = cal.add_working_days(due(received, 3), 2)
    first = [
        d.received(received),
        d.event("dossier.assigned", received + dt.timedelta(hours=1)),
        d.result_ready(late),
    ]
    await push(running_system, first)
    await attribution(running_system, d.code, "official_delay")
    await apologies(running_system, d.code)
    letters = await settled_ids(running_system, d.code)
    items = await notifications(running_system, d.code, "apology")
    # One letter: at most one notification per recipient and channel.
    keys = [(n["recipient_role"], n["channel"]) for n in items]
    assert len(keys) == len(set(keys)), items
    assert {(n["recipient_role"], n["channel"]) for n in items} >= {
        ("applicant", "email"),
        ("applicant", "sms"),
    }

    again = await push(running_system, copy.deepcopy(first))
    assert again == {"accepted": 0, "duplicates": len(first)}

    # New events about the same finished dossier: sla folds it again and may re-emit alerts.
    await push(
        running_system,
        [d.result_ready(late), d.event("dossier.returned", late + dt.timedelta(hours=1))],
    )
    running_system.kill("sla")  # SIGKILL: whatever it had not committed is delivered again
    await running_system.restart("sla")
    await sla_view(running_system, d.code, lambda v: v["status"] == "returned")
    assert await settled_ids(running_system, d.code) == letters

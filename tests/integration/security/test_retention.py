"""Contact retention, end to end: a contact is kept while its dossier is open, however old, and
deleted the retention after the end of its need (docs/domain.md §9)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import asyncpg
import pytest

from tests.faults.workload import dossier_events, stream, write_figures

pytestmark = pytest.mark.asyncio(loop_scope="session")
RETENTION_DAYS = 180  # notify's default (DUNGHAN_NOTIFY_CONTACTS_RETENTION_DAYS)
LEFT_S = 20.0


async def contact_rows(planted, code: str) -> int:
    system = planted.system
    conn = await asyncpg.connect(system.pg_dsn(system.databases["notify"]))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM contacts WHERE dossier_id = $1", code))
    finally:
        await conn.close()


async def test_a_contact_is_deleted_when_its_retention_ends(planted) -> None:
    """Received 200 days ago (kept on arrival, the dossier being open), finished on time
    ``RETENTION_DAYS`` days ago less ``LEFT_S``: deleted ``LEFT_S`` from now, not before."""
    now = dt.datetime.now(dt.UTC)
    received = now - dt.timedelta(days=200)
    finished = now - dt.timedelta(days=RETENTION_DAYS, seconds=-LEFT_S)
    events = dossier_events(1, "ret" + uuid.uuid4().hex[:8])[:2]  # received, assigned
    events[0]["time"] = received.isoformat()
    events[0]["data"]["due_at"] = (received + dt.timedelta(days=30)).isoformat()  # on time
    events[1]["time"] = (received + dt.timedelta(hours=1)).isoformat()
    code = events[0]["subject"]
    ready = {**events[1], "id": str(uuid.uuid4()), "type": "dossier.result_ready", "data": {}}
    ready["time"] = finished.isoformat()
    sent_at = time.monotonic()
    await stream([planted.system], [*events, ready], size=3, pause_s=0)
    stored_after = deleted_after = None
    while time.monotonic() - sent_at < LEFT_S + 30:
        rows = await contact_rows(planted, code)
        if rows and stored_after is None:
            stored_after = round(time.monotonic() - sent_at, 1)
        if not rows and stored_after is not None:
            deleted_after = round(time.monotonic() - sent_at, 1)
            break
        await asyncio.sleep(0.5)
    write_figures(
        "contact_retention",
        {
            "retention_left_s": LEFT_S,
            "stored_after_s": stored_after,
            "deleted_after_s": deleted_after,
        },
    )
    assert stored_after is not None, "the contact was never stored"
    assert deleted_after is not None, "the contact outlived its retention"
    assert deleted_after >= LEFT_S - 2  # not before its time (clock skew of a scheduling round)

"""Escalations to DOST and the VPCP correction list, through the real broker and database."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from dunghan_common.events.findings import EscalationResolved

from tests.integration.sync_audit.harness import (
    DUE_AT,
    OPS,
    UNIT,
    Harness,
    dossier_id,
    event,
    received,
    running,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
FINISHED = "2025-08-05T09:00:00+07:00"


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    async with running(fresh_database, topic_factory, "2025-08-10T12:00:00+07:00") as h:
        yield h


async def late_synced(audit: Harness, unit: str | None = None) -> tuple[str, str]:
    """A dossier finished on time whose finishing status reached the portal late."""
    d = dossier_id()
    args = {"unit": unit} if unit else {}
    await audit.send(
        received(d, **args),
        event("dossier.result_ready", d, FINISHED, {}),
        event("portal.sync_succeeded", d, "2025-08-07T08:00:00+07:00", {"status_code": 9}),
    )
    await audit.finished(d, FINISHED)
    await audit.attribution(d, "sync_error")
    page = (await audit.get("/v1/escalations", params={"cause": "sync_error"})).json()
    (escalation,) = [e for e in page["items"] if e["dossier_id"] == d]
    return d, escalation["id"]


async def test_a_sync_escalation_resolves_itself_when_the_portal_catches_up(
    audit: Harness,
) -> None:
    d, esc = await late_synced(audit)
    snapshot = {"status_code": 9, "due_at": DUE_AT, "finished_at": FINISHED}
    await audit.send(event("portal.snapshot", d, "2025-08-09T08:00:00+07:00", snapshot))
    body = await audit.attribution(d, "none", revision=2)
    assert body["portal_overdue"] is False
    got = (await audit.get(f"/v1/escalations/{esc}")).json()
    assert got["status"] == "resolved"
    assert got["resolution"] == "portal_caught_up"
    found = await audit.findings(d, 4)
    assert [e.type for e in found] == [
        "audit.breach_attributed",
        "audit.escalation_opened",
        "audit.breach_attributed",
        "audit.escalation_resolved",
    ]
    resolved = EscalationResolved.model_validate(found[3].data)
    assert resolved.resolution == "portal_caught_up"
    assert resolved.escalation_id == esc


async def test_dost_acknowledges_then_resolves_an_escalation(audit: Harness) -> None:
    d, esc = await late_synced(audit)
    assert (await audit.post("/v1/escalations/nope/acknowledge", {})).status_code == 404
    assert (await audit.post(f"/v1/escalations/{esc}/resolve", {"note": 5})).status_code == 422
    assert (await audit.post(f"/v1/escalations/{esc}/resolve", {"x": "y"})).status_code == 422
    assert (await audit.post(f"/v1/escalations/{esc}/acknowledge", token=UNIT)).status_code == 403
    ack = await audit.post(f"/v1/escalations/{esc}/acknowledge", {"note": "looking"})
    assert ack.status_code == 200
    assert ack.json()["status"] == "acknowledged"
    assert (await audit.post(f"/v1/escalations/{esc}/acknowledge", {})).status_code == 409
    listed = await audit.get("/v1/escalations", params={"status": "acknowledged"})
    assert esc in [e["id"] for e in listed.json()["items"]]
    done = await audit.post(f"/v1/escalations/{esc}/resolve", {"note": "VPCP corrected"})
    assert done.status_code == 200
    assert done.json()["resolution"] == "manual"
    assert done.json()["resolved_at"] is not None
    assert (await audit.post(f"/v1/escalations/{esc}/resolve", {"note": "x"})).status_code == 409
    found = await audit.findings(d, 3)
    assert found[-1].type == "audit.escalation_resolved"
    assert found[-1].data["note"] == "VPCP corrected"
    metrics = (await audit.api.get("/metrics")).text
    assert 'dunghan_sync_audit_escalations_open{cause="sync_error"} 0.0' in metrics


async def test_escalations_page_with_a_cursor_and_units_see_their_own(audit: Harness) -> None:
    mine = [await late_synced(audit) for _ in range(2)]
    other = await late_synced(audit, unit="000.00.99.H50")
    first = (await audit.get("/v1/escalations", params={"limit": 2})).json()
    rest = (await audit.get("/v1/escalations", params={"cursor": first["next_cursor"]})).json()
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert sorted(ids) == sorted([m[1] for m in mine] + [other[1]])
    assert rest["next_cursor"] is None
    seen = (await audit.get("/v1/escalations", token=UNIT)).json()["items"]
    assert {e["id"] for e in seen} == {m[1] for m in mine}
    assert (await audit.get(f"/v1/escalations/{other[1]}", token=UNIT)).status_code == 404
    hidden = await audit.get(f"/v1/dossiers/{other[0]}/attribution", token=UNIT)
    assert hidden.status_code == 404
    assert (await audit.get("/v1/escalations", params={"cursor": "%%%"})).status_code == 422
    assert (await audit.get("/v1/escalations", token="wrong")).status_code == 401


async def test_the_correction_list_in_json_and_csv(audit: Harness) -> None:
    sync_dossier, _ = await late_synced(audit)
    official = dossier_id()
    await audit.send(received(official))
    await audit.breached(official)
    await audit.attribution(official, "official_delay")
    body = (await audit.get("/v1/corrections", params={"period": "2025-08"})).json()
    rows = {r["dossier_id"]: r for r in body["items"]}
    assert set(rows) == {sync_dossier}
    assert rows[sync_dossier]["cause"] == "sync_error"
    assert "portal.sync_succeeded" in rows[sync_dossier]["evidence_summary"]
    r = await audit.get(
        "/v1/corrections", params={"period": "2025-08"}, headers={"accept": "text/csv"}
    )
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [(t["dossier_id"], t["cause"]) for t in table] == [(sync_dossier, "sync_error")]
    empty = (await audit.get("/v1/corrections", params={"period": "2025-09"}, token=OPS)).json()
    assert empty["items"] == []
    assert (await audit.get("/v1/corrections", params={"period": "2025-13"})).status_code == 422

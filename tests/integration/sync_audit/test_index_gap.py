"""Index points at stake (docs/domain.md §7) from a month of known dossiers, through the real
broker and database: the portal's answer stored, the local and corrected figures computed the
portal's way, and the listed dossiers accounting for the whole difference."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.sync_audit.harness import (
    DOST,
    OPS,
    UNIT,
    Harness,
    dossier_id,
    event,
    received,
    running,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
AFTER_DUE = "2025-08-10T12:00:00+07:00"
ON_TIME = "2025-08-05T09:00:00+07:00"
LATE = "2025-08-08T09:00:00+07:00"
OTHER_UNIT = "000.00.01.H50"  # Sở Nội vụ, departmentCode H50.01


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    async with running(fresh_database, topic_factory, AFTER_DUE) as h:
        yield h


def hundredths(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figures(received: int, on_time: int) -> dict[str, Any]:
    """docs/domain.md §7: ratio = on time ÷ received × 100, score = ratio ÷ 100 × 20."""
    return {
        "received": received,
        "on_time": on_time,
        "overdue": received - on_time,
        "ratio": hundredths(Decimal(on_time) * 100 / received),
        "score": hundredths(Decimal(on_time) * 20 / received),
    }


def portal_department(code: str, received: int, on_time: int) -> dict[str, Any]:
    f = figures(received, on_time)
    return {
        "departmentCode": code,
        "departmentName": code,
        "level": "PROVINCE",
        "totalReceived": received,
        "totalOnTime": on_time,
        "totalOverdue": received - on_time,
        "avgProcessingDays": 2.5,
        "ratio": f["ratio"],
        "score": f["score"],
        "maxScore": 20,
    }


def ready(d: str, at: str) -> dict[str, Any]:
    return event("dossier.result_ready", d, at, {})


def sync_ok(d: str, at: str) -> dict[str, Any]:
    return event("portal.sync_succeeded", d, at, {"status_code": 9})


async def a_month(audit: Harness) -> dict[str, list[str]]:
    """Sở Xây dựng: 2 on time, 1 late by the official, 2 late by a software fault, 2 on time here
    but late on the portal (sync); Sở Nội vụ: 1 on time, 1 late by the official; one dossier
    received in July (not this month's)."""
    error = {"component": "igate-core", "error_code": "E-DB-17", "message": "deadlock"}
    made: dict[str, list[str]] = {"on_time": [], "official": [], "software": [], "sync": []}
    for _ in range(2):
        d = dossier_id()
        await audit.send(received(d), ready(d, ON_TIME), sync_ok(d, "2025-08-05T09:01:00+07:00"))
        await audit.finished(d, ON_TIME)
        made["on_time"].append(d)
        s = dossier_id()
        await audit.send(received(s), event("system.error", s, "2025-08-04T09:00:00+07:00", error))
        await audit.breached(s)
        made["software"].append(s)
        y = dossier_id()  # finished on time here, the finish reached the portal after the due date
        await audit.send(received(y), ready(y, ON_TIME), sync_ok(y, "2025-08-07T08:00:00+07:00"))
        await audit.finished(y, ON_TIME)
        made["sync"].append(y)
    o = dossier_id()
    await audit.send(received(o), ready(o, LATE), sync_ok(o, "2025-08-08T09:01:00+07:00"))
    await audit.finished_late(o, LATE)
    made["official"].append(o)
    other_ok, other_late = (f"{OTHER_UNIT}-250801-{n}" for n in ("a1", "a2"))
    await audit.send(received(other_ok, OTHER_UNIT), ready(other_ok, ON_TIME))
    await audit.finished(other_ok, ON_TIME)
    await audit.send(received(other_late, OTHER_UNIT), ready(other_late, LATE))
    await audit.finished_late(other_late, LATE)
    july = dossier_id()
    july_received = {**received(july), "time": "2025-07-31T10:00:00+07:00"}
    await audit.send(july_received)
    await audit.finished(july, ON_TIME)
    for d, cause in [
        *((d, "none") for d in made["on_time"]),
        *((d, "software_error") for d in made["software"]),
        *((d, "sync_error") for d in made["sync"]),
        (o, "official_delay"),
        (other_ok, "none"),
        (other_late, "official_delay"),
        (july, "none"),
    ]:
        await audit.attribution(d, cause)
    return made


async def test_a_month_of_known_dossiers_gives_the_figures_of_the_formulas(audit: Harness) -> None:
    made = await a_month(audit)
    # The portal saw Sở Xây dựng's 7: on time only the 2 truly on time (the sync errors reached
    # it late, the software faults are late everywhere); Sở Nội vụ as it is; one department the
    # directory does not know.
    answer = {
        "code": "OK",
        "data": {
            "parent": {**portal_department("H50", 10, 3), "totalScore": 0, "totalMaxScore": 20},
            "children": [
                portal_department("H50.12", 7, 2),
                portal_department("H50.01", 2, 1),
                portal_department("H50.99", 1, 0),
            ],
        },
    }
    put = await audit.api.put(
        "/v1/portal-index/2025-08", json=answer, headers={"authorization": f"Bearer {DOST}"}
    )
    assert put.status_code == 200, put.text
    assert put.json() == {
        "period": "2025-08",
        "departments": 3,
        "matched": 2,
        "unmatched": ["H50.99"],
    }

    gap = (await audit.get("/v1/index-gap", params={"period": "2025-08"})).json()
    assert gap["unmatched"] == ["H50.99"]
    units = {u["unit_code"]: u for u in gap["units"]}
    sxd = units["000.00.12.H50"]
    # local: 7 received, on time = the 2 on time + the 2 sync errors (on time here)
    assert sxd["portal"] == figures(7, 2)
    assert sxd["local"] == figures(7, 4)
    # corrected: the 2 software faults counted on time too
    assert sxd["corrected"] == figures(7, 6)
    assert sxd["points_at_stake"] == hundredths(
        Decimal(str(figures(7, 6)["score"])) - Decimal(str(figures(7, 2)["score"]))
    )
    listed = {c: {d["dossier_id"] for d in ds} for c, ds in sxd["by_cause"].items()}
    assert listed == {"software_error": set(made["software"]), "sync_error": set(made["sync"])}
    moved = [d for ds in sxd["by_cause"].values() for d in ds if d["counted_on_time"]]
    assert len(moved) == sxd["corrected"]["on_time"] - sxd["local"]["on_time"]
    assert all(d["evidence"] for ds in sxd["by_cause"].values() for d in ds)
    assert all(d["local_timeliness"] == "overdue" for d in sxd["by_cause"]["software_error"])
    nv = units[OTHER_UNIT]
    assert nv["local"] == nv["corrected"] == nv["portal"] == figures(2, 1)
    assert nv["points_at_stake"] == 0
    assert gap["province"]["local"] == figures(9, 5)
    assert gap["province"]["corrected"] == figures(9, 7)
    assert gap["province"]["portal"] == figures(10, 3)

    assert (await audit.get("/v1/index-gap", params={"period": "2025-07"})).status_code == 404
    assert (await audit.get("/v1/index-gap", UNIT, params={"period": "2025-08"})).status_code == 403
    assert await audit.c.index.refresh_metric() == "2025-08"
    metrics = (await audit.api.get("/metrics")).text
    expected = sxd["points_at_stake"]
    assert (
        f'dunghan_sync_audit_index_points_at_stake{{unit_code="000.00.12.H50"}} {expected}'
        in metrics
    )


async def test_a_malformed_answer_is_refused_field_by_field_and_stores_nothing(
    audit: Harness,
) -> None:
    bad = {
        "code": "OK",
        "data": {
            "parent": portal_department("H50", 10, 3),
            "children": [
                {**portal_department("H50.12", 588, 486), "ratio": 90.0},
                {**portal_department("H50.01", 5, 5), "totalOnTime": -1},
                {"departmentCode": "H50.02"},
            ],
        },
    }
    headers = {"authorization": f"Bearer {OPS}"}
    r = await audit.api.put("/v1/portal-index/2025-06", json=bad, headers=headers)
    assert r.status_code == 422
    locs = {e["loc"] for e in r.json()["detail"]}
    assert {
        "data.children[0].ratio",
        "data.children[1].totalOnTime",
        "data.children[2].totalReceived",
    } <= locs
    assert (await audit.get("/v1/index-gap", params={"period": "2025-06"})).status_code == 404
    r = await audit.api.put("/v1/portal-index/2025-06", json=[1], headers=headers)
    assert (r.status_code, r.json()) == (
        422,
        {"detail": [{"loc": "$", "msg": "must be a JSON object"}]},
    )

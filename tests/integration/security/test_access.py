"""Access to the query APIs: a bearer token with a role; a unit token sees its own unit only."""

from __future__ import annotations

import pytest

from tests.e2e.system import SERVICES
from tests.faults.workload import received_at
from tests.integration.security.conftest import METRICS_TOKEN, TOKENS, UNIT_A, UNIT_B

pytestmark = pytest.mark.asyncio(loop_scope="session")

READS = [
    ("sla", "/v1/dossiers"),
    ("sla", "/v1/kpis?period=2025-08"),
    ("sync-audit", "/v1/escalations"),
    ("sync-audit", "/v1/corrections?period=2025-08"),
    ("notify", "/v1/notifications"),
]
NOT_A_TOKEN = [
    {},
    {"Authorization": "Bearer not-a-known-token"},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic ZGV2LW9wcy10b2tlbjo="},
    {"Authorization": TOKENS["ops"]},
    {"Authorization": f"Bearer {TOKENS['ops']}x"},
    {"Authorization": "Bearer " + "A" * 8000},
]


@pytest.mark.parametrize(("service", "path"), READS)
async def test_every_query_api_wants_a_known_bearer_token(planted, service, path) -> None:
    async with planted.system.client(service, token=None) as client:
        for headers in NOT_A_TOKEN:
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 401, (headers.get("Authorization", "")[:40], answer.text)
            assert answer.headers.get("www-authenticate") == "Bearer"
        assert (await client.get(path, headers=_bearer("ops"))).status_code == 200


@pytest.mark.parametrize("service", SERVICES)
async def test_metrics_answer_only_the_scrape_token(planted, service) -> None:
    async with planted.system.client(service, token=None) as client:
        for headers in [*NOT_A_TOKEN, _bearer("ops"), _bearer("unit_a")]:
            answer = await client.get("/metrics", headers=headers)
            assert answer.status_code == 401, headers.get("Authorization", "")[:40]
            assert "dunghan_" not in answer.text
        scrape = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scrape.status_code == 200
        assert "dunghan_build_info" in scrape.text


async def test_roles_are_held_to_their_endpoints(planted) -> None:
    code_b = _codes(planted, UNIT_B)[0]
    system = planted.system
    async with system.client("sync-audit", token=TOKENS["dost"]) as dost:
        # DOST handles escalations; a dossier's attribution is for ops and the unit.
        assert (await dost.get(f"/v1/dossiers/{code_b}/attribution")).status_code == 403
        assert (await dost.get("/v1/escalations")).status_code == 200
    async with system.client("sync-audit", token=TOKENS["unit_b"]) as unit:
        answer = await unit.post("/v1/escalations/any/acknowledge", json={})
        assert answer.status_code == 403
    async with system.client("notify", token=TOKENS["dost"]) as dost:
        items = (await dost.get("/v1/notifications")).json()["items"]
        assert all(n["kind"] == "escalation" for n in items)


async def test_a_unit_token_sees_only_its_own_units_dossiers(planted) -> None:
    system = planted.system
    mine, theirs = _codes(planted, UNIT_A), _codes(planted, UNIT_B)
    async with system.client("sla", token=TOKENS["unit_a"]) as sla:
        listed = (await sla.get("/v1/dossiers", params={"limit": 1000})).json()["items"]
        assert {d["unit_code"] for d in listed} == {UNIT_A}
        assert set(mine) <= {d["dossier_id"] for d in listed}
        assert (await sla.get("/v1/dossiers", params={"unit_code": UNIT_B})).status_code == 403
        assert (await sla.get(f"/v1/dossiers/{theirs[0]}")).status_code == 404
        assert (await sla.get(f"/v1/dossiers/{mine[0]}")).status_code == 200
        kpis = (await sla.get("/v1/kpis", params={"period": _period(planted)})).json()
        assert {u["unit_code"] for u in kpis["units"]} <= {UNIT_A}
    async with system.client("sync-audit", token=TOKENS["unit_a"]) as audit:
        assert (await audit.get(f"/v1/dossiers/{theirs[0]}/attribution")).status_code == 404
        assert (await audit.get(f"/v1/dossiers/{mine[0]}/attribution")).status_code == 200
        rows = (await audit.get("/v1/corrections", params={"period": _period(planted)})).json()
        assert all(r["unit_code"] == UNIT_A for r in rows["items"])
    await _letters_scoped(planted)


async def _letters_scoped(planted) -> None:
    """Notify lists a unit's own notifications, and serves another unit's letter as 404.

    Every notification carries its unit, a digest too (it has no dossier): whether the unit
    heads' digest has gone out yet depends on the hour, what a unit token sees does not.
    """
    system = planted.system
    async with system.client("notify", token=TOKENS["unit_a"]) as notify:
        items = (await notify.get("/v1/notifications", params={"limit": 1000})).json()["items"]
        assert any(n["kind"] == "apology" for n in items)
        assert {n["unit_code"] for n in items} == {UNIT_A}
        assert all(n["dossier_id"].startswith(UNIT_A) for n in items if n["dossier_id"])
    async with system.client("notify") as ops:
        every = (await ops.get("/v1/notifications", params={"kind": "apology"})).json()["items"]
    letter_b = next(n for n in every if n["dossier_id"].startswith(UNIT_B))
    path = f"/v1/notifications/{letter_b['id']}/letter"
    async with system.client("notify", token=TOKENS["unit_a"]) as other:
        assert (await other.get(path)).status_code == 404
    async with system.client("notify", token=TOKENS["unit_b"]) as own:
        assert (await own.get(path)).status_code == 200


def _bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def _codes(planted, unit: str) -> list[str]:
    return [c for c in planted.codes if c.startswith(unit)]


def _period(planted) -> str:
    """The month the planted dossiers were received in (Asia/Ho_Chi_Minh)."""
    return received_at().strftime("%Y-%m")

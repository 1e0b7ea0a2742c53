"""The set-based writes (`unnest` arrays) store exactly what the models hold, on real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from dunghan_common.db import create_engine
from dunghan_common.db.migrations import upgrade
from dunghan_common.events.findings import Evidence
from dunghan_common.settings import DatabaseSettings
from sync_audit.adapters.sql import SqlAuditUnitOfWork
from sync_audit.domain.model import CurrentAttribution, Escalation, Observation, Revision

from tests.integration.sync_audit.harness import MIGRATIONS

pytestmark = pytest.mark.asyncio(loop_scope="session")
ICT = timezone(timedelta(hours=7))
T0 = datetime(2025, 8, 1, 10, 0, tzinfo=ICT)
EVIDENCE = [
    Evidence(time=T0, kind="dossier.received", detail="received for unit 000.00.12.H50"),
    Evidence(time=T0 + timedelta(days=1), kind="portal.sync_failed", detail="Sở 'x' \"y\" đúng"),
]


def _observation(n: int, dossier: str) -> Observation:
    data = {"status_code": 9, "nested": {"due_at": "2025-08-06T10:00:00+07:00"}, "n": n}
    return Observation(
        event_key=f"src/{dossier}/{n}",
        dossier_id=dossier,
        type="portal.sync_failed",
        time=T0 + timedelta(minutes=n),
        data=data,
    )


def _attribution(dossier: str, cause: str, next_check: datetime | None) -> CurrentAttribution:
    return CurrentAttribution(
        dossier_id=dossier,
        unit_code="000.00.12.H50",
        cause=cause,
        revision=1,  # type: ignore[arg-type]
        local_timeliness="on_time",
        portal_overdue=True,
        evidence=EVIDENCE,
        period="2025-08",
        attributed_at=T0,
        due_at=T0 + timedelta(days=5),
        next_check_at=next_check,
    )


async def test_bulk_writes_round_trip_values_nulls_and_duplicates(fresh_database: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    engine = create_engine(DatabaseSettings(url=fresh_database))
    uow = lambda: SqlAuditUnitOfWork(engine, "audit-findings", "test")  # noqa: E731
    try:
        first, later = T0 + timedelta(days=10), T0 + timedelta(days=11)
        items = [_observation(n, d) for d in ("D1", "D2") for n in range(3)]
        async with uow() as u:
            new = await u.repo.add_observations([*items, items[0]], first)
            await u.repo.save_attributions([_attribution("D1", "sync_error", None)])
            await u.repo.add_revisions(
                [
                    Revision(
                        dossier_id="D1",
                        revision=1,
                        cause="sync_error",
                        previous_cause=None,
                        local_timeliness="on_time",
                        portal_overdue=True,
                        evidence=EVIDENCE,
                        attributed_at=T0,
                    )
                ]
            )
            esc = Escalation(
                id="esc_1",
                dossier_id="D1",
                unit_code="u",
                cause="sync_error",
                status="open",
                summary="s",
                opened_at=T0,
            )
            await u.repo.save_escalations([esc])
            await u.commit()
        assert sorted(o.event_key for o in new) == sorted(o.event_key for o in items)
        async with uow() as u:
            again = await u.repo.add_observations([items[1]], later)
            replaced = _attribution("D1", "official_delay", T0 + timedelta(days=2))
            await u.repo.save_attributions([replaced, _attribution("D2", "none", None)])
            done = esc.model_copy(
                update={
                    "status": "resolved",
                    "resolved_at": later,
                    "resolution": "manual",
                    "note": "ok",
                }
            )
            await u.repo.save_escalations([done])
            await u.commit()
        assert again == []
        async with uow() as u:
            stored = await u.repo.observations_of(["D1", "D2"])
            assert {k: sorted(v, key=lambda o: o.event_key) for k, v in stored.items()} == {
                d: [o.model_copy(update={"recorded_at": first}) for o in items if o.dossier_id == d]
                for d in ("D1", "D2")
            }
            assert await u.repo.attribution("D1") == replaced
            assert (await u.repo.attribution("D2")).next_check_at is None  # type: ignore[union-attr]
            heads = await u.repo.attribution_heads_of(["D1", "D2", "D3"])
            assert {d: (h.cause, h.revision) for d, h in heads.items()} == {
                "D1": ("official_delay", 1),
                "D2": ("none", 1),
            }
            (revision,) = await u.repo.revisions("D1")
            assert revision.evidence == EVIDENCE
            assert await u.repo.escalation("esc_1") == done
            assert revision.attributed_at.astimezone(UTC) == T0.astimezone(UTC)
    finally:
        await engine.dispose()

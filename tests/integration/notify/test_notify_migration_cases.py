"""Migration 0005 on a database that has letters and a held reschedule (real PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from dunghan_common.db.migrations import upgrade
from notify.domain.cases import DossierState
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.notify.conftest import MIGRATIONS

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_held_reschedule_becomes_state_and_letters_get_their_status(fresh_database) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database, "0004")
    engine = create_async_engine(fresh_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO pending_letters (dossier_id, cause, reason, new_due_at) "
                    "VALUES ('D-1', 'rescheduled', 'Chờ đo đạc', '2025-08-15T00:00:00+00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO letters (dossier_id, due_at, unit_code, number, year, issued_at, "
                    "cause, reason, procedure_name, received_at, new_due_at, withdrawn_at) VALUES "
                    "('D-2', now(), 'U', 1, 2025, now(), 'official_delay', 'r', 'p', now(), "
                    "now(), now())"
                )
            )
        await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
        async with engine.connect() as conn:
            kept = (await conn.execute(text("SELECT state FROM dossier_states"))).scalar_one()
            status = (await conn.execute(text("SELECT status FROM letters"))).scalar_one()
        state = DossierState.model_validate(kept)
        assert state.reschedule is not None
        assert (state.dossier_id, state.reschedule.reason) == ("D-1", "Chờ đo đạc")
        assert status == "withdrawn"
    finally:
        await engine.dispose()

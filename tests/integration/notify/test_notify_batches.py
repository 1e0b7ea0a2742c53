"""A consumed batch is loaded, decided and written once (adapters/sql_batch).

One ``Intake.apply`` call is one consumed batch. Within it a dossier is attributed a letter
cause and then revised to a cause that earns none: decided on its whole state, it gets no
letter at all (nothing to withdraw); other dossiers' letters are numbered in the same write; a
duplicated attribution changes nothing; replaying the whole batch changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dunghan_common.clock import FakeClock
from dunghan_common.settings import DatabaseSettings, Environment
from notify import bootstrap
from notify.adapters.tables import letter_numbers, letters, notifications
from notify.domain.models import Cause, Facts
from notify.settings import NotifyOptions, NotifySettings
from notify.usecases import commands as c
from sqlalchemy import select

from tests import support
from tests.integration.notify.notify_events import notify_facts

pytestmark = pytest.mark.asyncio(loop_scope="session")
FRI_09H = datetime(2025, 8, 8, 2, 0, tzinfo=UTC)


def _facts(dossier: str) -> Facts:
    due = FRI_09H - timedelta(days=1)
    return notify_facts(dossier, due - timedelta(days=5), due)


async def _rows(cont, stmt):
    async with cont.engine.connect() as conn:
        return (await conn.execute(stmt)).all()


async def test_one_batch_issues_amends_and_numbers_as_one_by_one(notify_db, calendar) -> None:
    settings = NotifySettings(
        env=Environment.TEST, db=DatabaseSettings(url=notify_db), notify=NotifyOptions()
    )
    cont = bootstrap.build(settings, clock=FakeClock(FRI_09H), calendar=calendar)
    a, b, d = (support.unique("D") for _ in range(3))
    contact = {"name": "Nguyễn Văn An", "email": "an@example.vn"}
    batch: list[c.Command] = [
        c.Attributed(_facts(a), Cause.OFFICIAL_DELAY, 1),
        c.Attributed(_facts(b), Cause.SOFTWARE_ERROR, 1),
        c.ContactReceived(a, contact, FRI_09H),
        c.Attributed(_facts(b), Cause.SOFTWARE_ERROR, 1),  # redelivered in the same batch
        c.Unattributed(_facts(a), "sync_error", 2),  # a's letter: withdrawn, never sent
        c.Breached(_facts(d), FRI_09H),
        c.Attributed(_facts(d), Cause.OFFICIAL_DELAY, 1),
    ]
    intake = bootstrap.intake(cont)
    await intake.apply(batch)
    await intake.apply(batch)  # a replay of the whole batch
    # A new way to reach a's applicant: its delivery is staged, then withdrawn with the rest.
    await intake.apply([c.ContactReceived(a, contact | {"phone": "0912345678"}, FRI_09H)])
    got = await _rows(
        cont,
        select(letters.c.dossier_id, letters.c.number, letters.c.withdrawn_at, letters.c.revision)
        .where(letters.c.dossier_id.in_([a, b, d]))
        .order_by(letters.c.number),
    )
    assert sorted(r.dossier_id for r in got) == sorted([b, d])  # a: not late after all
    assert sorted(r.number for r in got) == [1, 2]
    assert [r.withdrawn_at for r in got] == [None, None]
    last = await _rows(cont, select(letter_numbers.c.last_number))
    assert [r.last_number for r in last] == [2]  # no gaps, nothing burnt by the replay
    n = notifications.c
    jobs = await _rows(
        cont, select(n.dossier_id, n.kind, n.channel, n.status, n.last_error).order_by(n.id)
    )
    assert [j for j in jobs if j.dossier_id == a] == []
    # b and d have no contact: the two copies (service centre, processing unit) only
    assert [(j.kind, j.status) for j in jobs if j.dossier_id == b] == [("apology", "pending")] * 2
    assert sorted(j.kind for j in jobs if j.dossier_id == d) == ["apology", "apology", "reminder"]
    await cont.engine.dispose()

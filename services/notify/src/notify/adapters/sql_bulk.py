"""Set-based SQL for a consumed batch: lock and read its dossiers at once, write in bulk.

Each function is one or two statements whatever the batch size (executemany is pipelined by
asyncpg); none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, any_, bindparam, delete, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters.sql_records import LOCK_SPACE, upsert_officials
from notify.adapters.tables import contacts, letter_numbers, letters, notifications
from notify.domain.models import Letter

# The locks are taken in the order of their keys, so two batches sharing dossiers queue
# behind each other instead of deadlocking.
_LOCK_ALL = text(
    "SELECT pg_advisory_xact_lock(:space, h) FROM "
    "(SELECT DISTINCT hashtext(d) AS h FROM unnest(CAST(:ids AS text[])) AS d ORDER BY h) AS s"
)
_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('letters', 'id')) FROM generate_series(1, :n)"
)


def _ids(ids: Sequence[str]) -> Any:
    return any_(bindparam("ids", list(ids), type_=ARRAY(Text)))


async def lock_all(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """Take every dossier's advisory lock (the key space of ``lock_dossier``), in key order."""
    await conn.execute(_LOCK_ALL, {"space": LOCK_SPACE, "ids": list(ids)})


async def reserve_letter_ids(conn: AsyncConnection, n: int) -> list[int]:
    """``n`` ids from the letters' identity sequence (an unused one is only a gap in ids)."""
    return [int(x) for x in (await conn.execute(_RESERVE_IDS, {"n": n})).scalars()]


async def number_letters(
    conn: AsyncConnection, counts: dict[tuple[str, int], int]
) -> dict[tuple[str, int], int]:
    """Advance each (unit, year) counter by its count; return each counter's new last number.

    The counter rows stay locked until commit: numbers have no gaps and no repeats.
    """
    rows = [{"unit_code": u, "year": y, "last_number": n} for (u, y), n in sorted(counts.items())]
    new = pg_insert(letter_numbers).values(rows)
    stmt = new.on_conflict_do_update(
        index_elements=["unit_code", "year"],
        set_={"last_number": letter_numbers.c.last_number + new.excluded.last_number},
    ).returning(letter_numbers.c.unit_code, letter_numbers.c.year, letter_numbers.c.last_number)
    return {(r.unit_code, r.year): int(r.last_number) for r in await conn.execute(stmt)}


async def insert_letters(conn: AsyncConnection, rows: list[Letter]) -> int:
    """Insert letters (ids reserved); (dossier_id, due_at) unique: a duplicate is skipped."""
    # executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues")
    # compiled once, instead of compiling a statement with a parameter per cell.
    stmt = pg_insert(letters).on_conflict_do_nothing(constraint="uq_letters_dossier_due")
    result = await conn.execute(stmt.returning(letters.c.id), [r.model_dump() for r in rows])
    return len(result.all())


async def insert_jobs(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Queue notifications; an existing dedup key is skipped."""
    if rows:
        stmt = pg_insert(notifications).on_conflict_do_nothing(index_elements=["dedup_key"])
        await conn.execute(stmt, rows)


async def write_contacts(
    conn: AsyncConnection, gone: list[str], kept: list[dict[str, Any]]
) -> None:
    """Delete forgotten contacts, upsert the sealed new ones."""
    if gone:
        await conn.execute(delete(contacts).where(contacts.c.dossier_id == _ids(gone)))
    if kept:
        stmt = pg_insert(contacts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["dossier_id"],
            set_={k: stmt.excluded[k] for k in ("sealed", "channels")},
        )
        await conn.execute(stmt, kept)


async def write_official_contacts(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Upsert officials' sealed contacts; an older record never replaces a newer one."""
    if rows:
        await conn.execute(upsert_officials(), rows)

"""The portal format's snapshot store in PostgreSQL, on the ledger's pool and transaction.

``dvcqg_snapshots`` holds each dossier's `Held` state (JSON; no personal field exists in it),
``dvcqg_aliases`` the replaced dossier codes, ``dvcqg_records`` what was recorded and derived
nothing (a stale snapshot, a regressed or rewritten status). A dossier is locked for the
transaction by an advisory lock on its code, taken in code order so that two requests naming the
same dossiers cannot deadlock; the held rows are read after the lock, so a concurrent request's
commit is seen.

Lists of codes and of held states travel as one text each, a line per element (`lines`), split by
``string_to_array``: asyncpg encodes a ``text[]`` element by element in Python, a few tenths of a
microsecond each, and a request sends five such lists of up to a thousand. Neither a code (no
whitespace, as the parser requires) nor a held state (JSON, whose writer escapes every control
character) holds a line break; `lines` refuses a list where one would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Self

import asyncpg
import orjson

from ingest.adapters.sql import SqlIngestUnitOfWork
from ingest.domain.dvcqg_translate import Held
from ingest.ports import LedgerUnavailable

_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
_LOCK = """
SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || c, 0))
FROM unnest(string_to_array($2, E'\\n')) c
"""
_HELD = """
SELECT code, held FROM dvcqg_snapshots
WHERE source = $1 AND code = ANY(string_to_array($2, E'\\n'))
"""
_ALIASES = """
SELECT alias, code FROM dvcqg_aliases
WHERE source = $1 AND alias = ANY(string_to_array($2, E'\\n'))
"""
_SAVE = """
INSERT INTO dvcqg_snapshots (source, code, held, updated_at)
SELECT $1, c, h::jsonb, $4
FROM unnest(string_to_array($2, E'\\n'), string_to_array($3, E'\\n')) AS x(c, h)
ON CONFLICT (source, code) DO UPDATE SET held = EXCLUDED.held, updated_at = EXCLUDED.updated_at
"""
_ALIAS = """
INSERT INTO dvcqg_aliases (source, alias, code, recorded_at)
SELECT $1, a, c, $4 FROM unnest($2::text[], $3::text[]) AS x(a, c) ON CONFLICT DO NOTHING
"""
_RECORD = """
INSERT INTO dvcqg_records (source, code, kind, recorded_at)
SELECT $1, c, k, $4 FROM unnest($2::text[], $3::text[]) AS x(c, k)
"""


def lines(values: Sequence[str]) -> str:
    """The values as one text, a line each; `ValueError` if a value holds a line break."""
    text = "\n".join(values)
    if text.count("\n") != max(len(values) - 1, 0):
        raise ValueError("a code or held state holds a line break")
    return text


class SqlSnapshotStore:
    """Held snapshots, aliases and records on one connection, inside the unit of work."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def _run(self, method: str, *args: Any) -> Any:
        try:
            return await getattr(self._conn, method)(*args)
        except _DRIVER_ERRORS as exc:
            raise LedgerUnavailable(type(exc).__name__) from exc

    async def aliases(self, source: str, codes: Sequence[str]) -> dict[str, str]:
        """The canonical code of each code that is a known alias."""
        rows = await self._run("fetch", _ALIASES, source, lines(codes))
        return {r[0]: r[1] for r in rows}

    async def lock_and_read(self, source: str, codes: Iterable[str]) -> dict[str, Held]:
        """Lock the dossiers for this transaction (code order) and read what is held of them."""
        ordered = sorted(set(codes))
        text = lines(ordered)
        await self._run("execute", _LOCK, source, text)
        rows = await self._run("fetch", _HELD, source, text)
        return {r[0]: Held.from_json(orjson.loads(r[1])) for r in rows}

    async def save(self, source: str, held: Sequence[Held], at: datetime) -> None:
        """Write the dossiers' next held state."""
        if held:
            codes = [h.code for h in held]
            docs = [orjson.dumps(h.to_json()).decode() for h in held]
            await self._run("execute", _SAVE, source, lines(codes), lines(docs), at)

    async def alias(self, source: str, pairs: Sequence[tuple[str, str]], at: datetime) -> None:
        """Record ``(alias, canonical code)`` pairs."""
        if pairs:
            aliases, codes = [p[0] for p in pairs], [p[1] for p in pairs]
            await self._run("execute", _ALIAS, source, aliases, codes, at)

    async def record(self, source: str, rows: Sequence[tuple[str, str]], at: datetime) -> None:
        """Record ``(code, kind)`` facts that derived no event (or a sender fault)."""
        if rows:
            codes, kinds = [r[0] for r in rows], [r[1] for r in rows]
            await self._run("execute", _RECORD, source, codes, kinds, at)


class SqlDvcqgUnitOfWork(SqlIngestUnitOfWork):
    """One transaction over the ledger and the snapshot store; rolled back unless committed."""

    snapshots: SqlSnapshotStore

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.snapshots = SqlSnapshotStore(self._conn)
        return self

"""The intake store of one consumed batch: read once, decide in memory, write in bulk.

Opening it locks every dossier of the batch (one statement, in key order) and reads their
facts, held requests, letters and contact channels (four statements). Under those locks the
snapshot is authoritative: every intake writer takes them. Writes are staged and go out in a
few set-based statements on ``flush`` (at the latest just before commit), in dependency order:
contacts, facts and their marks, held requests, letters (numbered then, per unit and year, in
one statement), then notifications (which reference letters). The rare paths that need the
database itself (amending an issued letter, reading a letter issued earlier in the same batch)
flush first and then work row by row, exactly as before.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from notify.adapters import sql_bulk as bulk
from notify.domain.models import ChannelName, Facts, Letter, LetterRequest, NewNotification
from notify.ports import NotifyStore

_Contact = tuple[bytes, list[ChannelName]] | None  # None: forget it


class StagedStore:
    """Implements ``IntakeStore`` for one batch, on the transaction of ``direct``."""

    def __init__(self, conn: AsyncConnection, direct: NotifyStore) -> None:
        self._c, self._direct = conn, direct
        self._known: set[str] = set()
        self._facts: dict[str, Facts] = {}
        self._dirty: set[str] = set()
        self._marks: dict[str, dict[str, datetime]] = {"breached_at": {}, "finished_at": {}}
        self._held: dict[str, LetterRequest] = {}
        self._held_stored: dict[str, LetterRequest] = {}
        self._letters: dict[str, list[Letter]] = {}
        self._stale: set[str] = set()
        self._pending: list[Letter] = []
        self._pending_dossiers: set[str] = set()
        self._ids: list[int] = []
        self._reserve = 16
        self._channels: dict[str, list[ChannelName]] = {}
        self._contacts: dict[str, _Contact] = {}
        self._officials: dict[str, tuple[bytes, datetime]] = {}
        self._jobs: dict[str, NewNotification] = {}

    async def admit(self, dossier_ids: Collection[str]) -> None:
        """Lock and read dossiers not yet known to this batch."""
        new = sorted(set(dossier_ids) - self._known)
        if not new:
            return
        await bulk.lock_all(self._c, new)
        read = await bulk.read_all(self._c, new)
        self._known.update(new)
        self._facts |= read.facts
        self._held |= read.held
        self._held_stored |= read.held
        self._letters |= {d: read.letters.get(d, []) for d in new}
        self._channels |= read.channels
        self._reserve = max(self._reserve, min(len(new), 1_000))

    async def lock_dossier(self, dossier_id: str) -> None:
        """Locked when admitted (re-entrant, as the row-by-row lock)."""
        await self.admit([dossier_id])

    async def save_facts(self, facts: Facts, overwrite: bool) -> None:
        """Stage the facts; an existing row is only replaced when ``overwrite``."""
        await self.admit([facts.dossier_id])
        if overwrite or facts.dossier_id not in self._facts:
            self._facts[facts.dossier_id] = facts
            self._dirty.add(facts.dossier_id)

    async def get_facts(self, dossier_id: str) -> Facts | None:
        """From the snapshot, with this batch's changes."""
        await self.admit([dossier_id])
        return self._facts.get(dossier_id)

    async def mark_breached(self, dossier_id: str, at: datetime) -> None:
        """Stage the first breach time (a row must exist, as for the UPDATE it stands for)."""
        self._mark("breached_at", dossier_id, at)

    async def mark_finished(self, dossier_id: str, at: datetime) -> None:
        """Stage the finish time."""
        self._mark("finished_at", dossier_id, at)

    def _mark(self, column: str, dossier_id: str, at: datetime) -> None:
        if dossier_id in self._facts:
            self._marks[column].setdefault(dossier_id, at)

    async def letter_for(self, dossier_id: str, due_at: datetime) -> Letter | None:
        """The letter of (dossier, due date), numbered (a staged one is written first)."""
        found = [lt for lt in await self.letters_of(dossier_id) if lt.due_at == due_at]
        return found[0] if found else None

    async def letters_of(self, dossier_id: str) -> list[Letter]:
        """The dossier's letters; staged ones are written first, so they carry their number."""
        await self.admit([dossier_id])
        if dossier_id in self._pending_dossiers:
            await self.flush()
        if dossier_id in self._stale:
            self._letters[dossier_id] = await self._direct.letters_of(dossier_id)
            self._stale.discard(dossier_id)
        return list(self._letters.get(dossier_id, []))

    async def insert_letter(self, letter: Letter) -> int | None:
        """Stage the letter under a reserved id; it is numbered when flushed."""
        if await self.letter_for(letter.dossier_id, letter.due_at) is not None:
            return None
        if not self._ids:
            self._ids = (await bulk.reserve_letter_ids(self._c, self._reserve))[::-1]
        letter_id = self._ids.pop()
        self._pending.append(letter.model_copy(update={"id": letter_id}))
        self._pending_dossiers.add(letter.dossier_id)
        return letter_id

    async def hold_letter(self, request: LetterRequest) -> None:
        """Stage the request; the first one per dossier wins."""
        await self.admit([request.dossier_id])
        self._held.setdefault(request.dossier_id, request)

    async def take_held_letter(self, dossier_id: str) -> LetterRequest | None:
        """Take the held request from the snapshot (deleted when flushed)."""
        await self.admit([dossier_id])
        return self._held.pop(dossier_id, None)

    async def add_notifications(self, items: list[NewNotification]) -> int:
        """Stage jobs (first per dedup key); returns how many were new to this batch."""
        before = len(self._jobs)
        for item in items:
            self._jobs.setdefault(item.dedup_key, item)
        return len(self._jobs) - before

    async def save_contact(
        self, dossier_id: str, sealed: bytes, channels: list[ChannelName]
    ) -> None:
        """Stage the sealed contact."""
        await self.admit([dossier_id])
        self._channels[dossier_id] = list(channels)
        self._contacts[dossier_id] = (sealed, list(channels))

    async def save_official_contact(self, official_id: str, sealed: bytes, at: datetime) -> None:
        """Stage an official's sealed contact (the latest seen wins)."""
        known = self._officials.get(official_id)
        if known is None or known[1] <= at:
            self._officials[official_id] = (sealed, at)

    async def has_official_contact(self, official_id: str) -> bool:
        """Staged in this batch, or stored."""
        if official_id in self._officials:
            return True
        return await self._direct.has_official_contact(official_id)

    async def delete_contact(self, dossier_id: str) -> None:
        """Stage forgetting it."""
        await self.admit([dossier_id])
        self._channels.pop(dossier_id, None)
        self._contacts[dossier_id] = None

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """From the snapshot, with this batch's changes."""
        await self.admit([dossier_id])
        return list(self._channels.get(dossier_id, []))

    # The amendment path: rare, and it reads and locks delivery rows, so it goes row by row
    # on what is written so far.

    async def letter_sent(self, letter_id: int) -> bool:
        """Whether a delivery of the letter is sent or being sent (locks them)."""
        await self.flush()
        return await self._direct.letter_sent(letter_id)

    async def update_letter(self, letter_id: int, values: dict[str, Any]) -> None:
        """Change the letter; the dossier's letters are read again when next asked for."""
        await self.flush()
        await self._direct.update_letter(letter_id, values)
        self._stale.update(
            d for d, held in self._letters.items() if any(lt.id == letter_id for lt in held)
        )

    async def withdraw_jobs(self, letter_id: int, at: datetime, why: str) -> int:
        """Withdraw the letter's queued deliveries, staged ones included."""
        await self.flush()
        return await self._direct.withdraw_jobs(letter_id, at, why)

    async def requeue_withdrawn(self, letter_id: int, not_before: datetime) -> int:
        """Put withdrawn deliveries back in line."""
        await self.flush()
        return await self._direct.requeue_withdrawn(letter_id, not_before)

    async def add_amendment(
        self, letter: Letter, revision: int, to_cause: str, action: str, at: datetime
    ) -> None:
        """Record the amendment."""
        await self.flush()
        await self._direct.add_amendment(letter, revision, to_cause, action, at)

    async def flush(self) -> None:
        """Write everything staged, in dependency order."""
        await self._flush_contacts()
        await bulk.upsert_facts(self._c, [self._facts[d] for d in sorted(self._dirty)])
        self._dirty.clear()
        for column, marks in self._marks.items():
            await bulk.mark_first(self._c, column, marks)
            marks.clear()
        await self._flush_held()
        await self._flush_letters()
        rows = [job.model_dump(mode="python") for job in self._jobs.values()]
        await bulk.insert_jobs(self._c, rows)
        self._jobs.clear()

    async def _flush_contacts(self) -> None:
        gone = sorted(d for d, c in self._contacts.items() if c is None)
        kept = [
            {
                "dossier_id": d,
                "sealed": c[0],
                "channels": ",".join(ch.value for ch in c[1]),
            }
            for d, c in sorted(self._contacts.items())
            if c is not None
        ]
        await bulk.write_contacts(self._c, gone, kept)
        self._contacts.clear()
        officials = [
            {"official_id": o, "sealed": sealed, "seen_at": at}
            for o, (sealed, at) in sorted(self._officials.items())  # in key order: no deadlock
        ]
        await bulk.write_official_contacts(self._c, officials)
        self._officials.clear()

    async def _flush_held(self) -> None:
        stored, now = self._held_stored, self._held
        gone = sorted(d for d in stored if now.get(d) != stored[d])
        new = [now[d] for d in sorted(now) if stored.get(d) != now[d]]
        await bulk.replace_held(self._c, gone, new)
        self._held_stored = dict(now)

    async def _flush_letters(self) -> None:
        if not self._pending:
            return
        counts: dict[tuple[str, int], int] = {}
        for lt in self._pending:
            counts[(lt.unit_code, lt.year)] = counts.get((lt.unit_code, lt.year), 0) + 1
        last = await bulk.number_letters(self._c, counts)
        next_number = {key: last[key] - n + 1 for key, n in counts.items()}
        numbered = []
        for lt in self._pending:
            key = (lt.unit_code, lt.year)
            numbered.append(lt.model_copy(update={"number": next_number[key]}))
            next_number[key] += 1
        written = await bulk.insert_letters(self._c, numbered)
        if written != len(numbered):
            # Only a writer bypassing the dossier locks can get here: roll the batch back.
            raise RuntimeError(f"{len(numbered) - written} letters already existed under lock")
        for lt in numbered:
            self._letters.setdefault(lt.dossier_id, []).append(lt)
        self._pending.clear()
        self._pending_dossiers.clear()

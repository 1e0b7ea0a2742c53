"""Use-cases of the portal format: snapshots, steps and the portal's replies → events in Kafka.

One transaction per request: lock the request's dossiers, read what is held of them, translate
every object in order (`ingest.domain.dvcqg_translate`), claim the derived events' ids in the
duplicate ledger, publish the new ones (and their split-off contacts) and wait for every ack, then
write the next held snapshots, the aliases and the records, and commit. A snapshot therefore
advances only with the events it derived: a failed publish rolls everything back and the sender's
retry derives the same events again, with the same ids.

A sender that replaces a dossier's code mid-life (``MaHoSoKhac``) may name the new code in steps
and in the portal's answers before the first snapshot that links the two codes. Those derive their
events at once under the code they name (nothing waits, nothing is lost) and are kept with it
(`Held.unlinked`); the linking snapshot derives them again on the dossier its older code names
(`adopt`), which so keeps one code, one reception and its whole history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

from dunghan_common.events import CloudEvent, DossierContact, OfficialContact
from dunghan_common.events import Contact as ContactRecord

from ingest.domain.dvcqg import Reply, Snapshot, Step
from ingest.domain.dvcqg_translate import (
    Contact,
    Context,
    Held,
    Limit,
    Translation,
    adopt,
    translate_reply,
    translate_snapshot,
    translate_step,
)
from ingest.ports import AcceptedRepository, Clock


class SnapshotStore(Protocol):
    """Held snapshots, aliases and records (see `ingest.adapters.dvcqg_store`)."""

    async def aliases(self, source: str, codes: Sequence[str]) -> dict[str, str]:
        """The canonical code of each code that is a known alias."""
        ...

    async def lock_and_read(self, source: str, codes: Sequence[str]) -> dict[str, Held]:
        """Lock the dossiers for the transaction and read what is held of them."""
        ...

    async def save(self, source: str, held: Sequence[Held], at: Any) -> None:
        """Write the dossiers' next held state."""
        ...

    async def alias(self, source: str, pairs: Sequence[tuple[str, str]], at: Any) -> None:
        """Record ``(alias, canonical code)`` pairs."""
        ...

    async def record(self, source: str, rows: Sequence[tuple[str, str]], at: Any) -> None:
        """Record ``(code, kind)`` facts that derived no event."""
        ...


class DvcqgUnitOfWork(Protocol):
    """One transaction over the ledger and the snapshot store."""

    @property
    def accepted(self) -> AcceptedRepository:
        """The duplicate ledger, on this transaction."""
        ...

    @property
    def snapshots(self) -> SnapshotStore:
        """The snapshot store, on this transaction."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None:
        """Make the work durable."""
        ...


class DvcqgPublisher(Protocol):
    """Publishes events and contacts in one call; returns once every record is acknowledged."""

    async def publish(
        self, events: Sequence[CloudEvent], contacts: Sequence[ContactRecord]
    ) -> None:
        """Return once every record is acknowledged; raise `PublishFailed` otherwise."""
        ...


@dataclass
class DvcqgResult:
    """What a request earned: objects taken, new events in Kafka, events already there before."""

    accepted: int
    events: int
    duplicates: int
    recorded: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)


Item = Snapshot | Step


class SyncDvcqg:
    """Accept portal-format objects exactly once per derived event, in one transaction each."""

    def __init__(
        self,
        uow: Callable[[], DvcqgUnitOfWork],
        publisher: DvcqgPublisher,
        clock: Clock,
        procedure_limit: Callable[[str], Limit | None],
        unit_by_name: Callable[[str], str | None],
        pseudonym_key: bytes | None,
    ) -> None:
        self._uow = uow
        self._publisher = publisher
        self._clock = clock
        self._limit = procedure_limit
        self._unit = unit_by_name
        self._key = pseudonym_key

    async def execute(self, source: str, items: Sequence[Snapshot] | Sequence[Step]) -> DvcqgResult:
        """Translate and accept snapshots or steps; raise `PublishFailed`/`LedgerUnavailable`."""
        now = self._clock.now()
        ctx = Context(source, now, self._limit, self._unit, self._key)
        async with self._uow() as uow:
            store = uow.snapshots
            named = {i.code for i in items} | {
                i.other_code for i in items if isinstance(i, Snapshot) and i.other_code
            }
            aliases = await store.aliases(source, sorted(named))
            held = await store.lock_and_read(source, sorted(named | set(aliases.values())))
            pairs: list[tuple[str, str]] = []
            events: list[CloudEvent] = []
            contacts: list[Contact] = []
            recorded: list[tuple[str, str]] = []
            changed: dict[str, Held] = {}
            for item in items:
                code = _canonical(item, aliases, held)
                if isinstance(item, Snapshot):
                    unlinked = held.get(item.code) if item.code != code else None
                    if unlinked is not None and unlinked.unlinked and code in held:
                        a = adopt(held[code], unlinked, code, ctx)
                        held[code] = changed[code] = a.held
                        held[item.code] = changed[item.code] = _linked(unlinked)
                        events += a.events
                    for other in (item.code, item.other_code):
                        if other and other != code and aliases.get(other) != code:
                            pairs.append((other, code))
                            aliases[other] = code
                    t: Translation = translate_snapshot(held.get(code), item, code, ctx)
                else:
                    t = translate_step(held.get(code), item, code, ctx)
                held[code] = changed[code] = t.held
                events += t.events
                contacts += t.contacts
                recorded += [(code, kind) for kind in t.recorded]
            result = await self._publish(uow, source, events, contacts, now)
            await store.save(source, list(changed.values()), now)
            await store.alias(source, pairs, now)
            await store.record(source, recorded, now)
            await uow.commit()
        result.accepted = len(items)
        result.recorded = Counter(kind for _, kind in recorded)
        return result

    async def replies(self, source: str, replies: Sequence[Reply]) -> DvcqgResult:
        """The portal's answers as ``portal.sync_succeeded`` / ``portal.sync_failed``."""
        now = self._clock.now()
        ctx = Context(source, now, self._limit, self._unit, self._key)
        async with self._uow() as uow:
            store = uow.snapshots
            aliases = await store.aliases(source, sorted({r.code for r in replies}))
            codes = sorted({aliases.get(r.code, r.code) for r in replies})
            held = await store.lock_and_read(source, codes)
            events: list[CloudEvent] = []
            changed: dict[str, Held] = {}
            for r in replies:
                code = aliases.get(r.code, r.code)
                t = translate_reply(held.get(code), r, code, ctx)
                if t.events and not t.held.digest:  # a code no snapshot has shown yet
                    held[code] = changed[code] = t.held
                events += t.events
            result = await self._publish(uow, source, events, [], now)
            await store.save(source, list(changed.values()), now)
            await uow.commit()
        result.accepted = len(replies)
        return result

    async def _publish(
        self,
        uow: DvcqgUnitOfWork,
        source: str,
        events: list[CloudEvent],
        contacts: list[Contact],
        now: Any,
    ) -> DvcqgResult:
        unique = list({e.id: e for e in reversed(events)}.values())[::-1]
        taken = await uow.accepted.claim([(source, e.id) for e in unique], now)
        fresh = [e for e in unique if (source, e.id) not in taken]
        ids = {e.id for e in fresh}
        people = [_contact(c) for c in contacts if c.event.id in ids]
        if fresh:
            await self._publisher.publish(fresh, people)
        return DvcqgResult(
            0, len(fresh), len(events) - len(fresh), types=Counter(e.type for e in fresh)
        )


def _canonical(item: Item, aliases: dict[str, str], held: dict[str, Held]) -> str:
    """The code the dossier is known by: an alias's target, a held replaced code, else its own."""
    if item.code in aliases:
        return aliases[item.code]
    other = item.other_code if isinstance(item, Snapshot) else None
    if other:
        if other in aliases:
            return aliases[other]
        if other in held and (item.code not in held or _unseen(held[item.code], held[other])):
            return other
    return item.code


def _unseen(mine: Held, other: Held) -> bool:
    """Whether only steps or answers named this code so far while a snapshot showed the other."""
    return not mine.digest and bool(other.digest)


def _linked(held: Held) -> Held:
    """An unlinked code's state once adopted: what it derived now lives on the dossier."""
    done = held.copy()
    done.unlinked = []
    return done


def _contact(c: Contact) -> ContactRecord:
    """The record ``dossier-contacts`` keeps: the applicant's by dossier code, an assigned
    official's by the pseudonym (a name alone, which notify keeps for no one)."""
    e = c.event
    assert e.subject is not None
    person = c.person
    if person.kind == "official":
        assignee = getattr(e.data, "assignee", None)
        assert assignee is not None, "an official's contact comes with dossier.assigned"
        return OfficialContact(
            official_id=assignee.id,
            name=person.name[:200],
            dossier_code=e.subject,
            event_id=e.id,
            source=e.source,
            time=e.time,
        )
    email = (
        person.email if person.email and "@" in person.email and " " not in person.email else None
    )
    phone = (
        person.phone
        if person.phone and all(ch in "+0123456789 ().-" for ch in person.phone)
        else None
    )
    return DossierContact(
        dossier_code=e.subject,
        kind=person.kind,
        name=person.name[:200],
        email=email,
        phone=phone,
        event_id=e.id,
        source=e.source,
        time=e.time,
    )

"""Key rotation: every sealed contact re-sealed under the newest key, page by page.

Run after putting a new key first (``contacts_key``) and the old one in ``contacts_previous_keys``;
once it reports nothing left under an old key, the old key can be dropped. Each page is one short
transaction that locks its rows, so intake and delivery keep working meanwhile: a contact written
concurrently is sealed under the newest key already, and one re-sealed twice is still readable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from notify.ports import ContactUnreadable, Sealer, UnitOfWorkFactory

log = logging.getLogger(__name__)
KINDS = ("applicant", "official")


@dataclass(frozen=True)
class ResealReport:
    """What a re-seal did: contacts re-sealed, and ones no configured key opens."""

    resealed: int
    unreadable: int


async def reseal_all(uow: UnitOfWorkFactory, sealer: Sealer, page: int = 500) -> ResealReport:
    """Re-seal every applicant's and official's contact under the newest key."""
    resealed = unreadable = 0
    for kind in KINDS:
        after = ""
        while True:
            async with uow() as unit:
                rows = await unit.store.sealed_page(kind, after, page)
                fresh, bad = _resealed(sealer, rows)
                await unit.store.replace_sealed(kind, fresh)
                await unit.commit()
            resealed, unreadable = resealed + len(fresh), unreadable + bad
            if len(rows) < page:
                break
            after = rows[-1][0]
    if unreadable:
        log.error("contacts no key opens", extra={"count": unreadable})
    return ResealReport(resealed, unreadable)


def _resealed(sealer: Sealer, rows: list[tuple[str, bytes]]) -> tuple[list[tuple[str, bytes]], int]:
    """The rows re-sealed, and how many could not be opened (left as they are)."""
    fresh: list[tuple[str, bytes]] = []
    for ident, sealed in rows:
        try:
            fresh.append((ident, sealer.reseal(sealed)))
        except ContactUnreadable:
            continue
    return fresh, len(rows) - len(fresh)

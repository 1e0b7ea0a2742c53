"""The unit directory's schema (docs/domain.md §5 "The issuing unit"): every unit of the province.

One entry per unit: its name and kind, the place name its letters are dated from, who heads it
(and the deputy who may sign "KT."), where the service-centre copy goes, the portal's
``departmentCode`` and the names the portal format uses for it, and its officials where the
province supplies them. An entry without the head's title and name is *incomplete*: for letters
it counts as missing.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

UnitKind = Literal["department", "vertical", "centre", "ward", "commune", "special_zone"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Person(_Entry):
    """A unit's head or deputy: the signature block's title (chức vụ) and name."""

    title: str = ""
    name: str = ""
    email: str | None = None
    phone: str | None = None

    @property
    def named(self) -> bool:
        """Whether both the title and the name are given (a block can be signed)."""
        return bool(self.title and self.name)


class Official(_Entry):
    """An official (cán bộ xử lý), keyed by the id events carry (``assignee.id``)."""

    id: str = Field(min_length=1)
    name: str = ""
    email: str | None = None
    phone: str | None = None


class CopyTo(_Entry):
    """Where the copy of the unit's letters goes: the service centre (Trung tâm Phục vụ HCC)."""

    name: str = Field(min_length=1)
    email: str | None = None
    address: str | None = None


class UnitEntry(_Entry):
    """One unit of the directory."""

    code: str = Field(min_length=1, description="the unit code, e.g. 000.00.12.H50 (opaque)")
    name: str = Field(min_length=1, description="its name as printed: 'Sở Xây dựng'")
    kind: UnitKind
    place_name: str = Field(min_length=1, description="the dateline's place: 'Quảng Trị'")
    parent_name: str | None = Field(None, description="the governing body printed above it")
    department_code: str = Field(min_length=1, description="the portal's departmentCode")
    aliases: tuple[str, ...] = Field((), description="other names the portal format uses")
    abbreviation: str | None = Field(None, description="in letter numbers: 05/PXL-SXD")
    email: str | None = Field(None, description="the unit's mailbox (its copy of letters)")
    head: Person | None = None
    deputy: Person | None = None
    signs: Literal["head", "deputy"] = Field("head", description="who signs its letters")
    copy_to: CopyTo | None = None
    officials: tuple[Official, ...] = ()

    @model_validator(mode="after")
    def _deputy_named(self) -> UnitEntry:
        if self.signs == "deputy" and (self.deputy is None or not self.deputy.named):
            raise ValueError("signs = 'deputy' needs deputy.title and deputy.name")
        return self

    @property
    def complete(self) -> bool:
        """Whether letters can be issued in its name: the head's title and name are given."""
        return self.head is not None and self.head.named

    def short_name(self) -> str:
        """The abbreviation of letter numbers, else the initials of the name (``SXD``)."""
        if self.abbreviation:
            return self.abbreviation
        words = [w for w in self.name.replace("Đ", "D").replace("đ", "d").split() if w != "và"]
        return "".join(unicodedata.normalize("NFD", w)[0].upper() for w in words)

    def portal_names(self) -> tuple[str, ...]:
        """Every name the portal may use for it: its own name and its aliases."""
        return (self.name, *self.aliases)


@lru_cache(maxsize=4_096)
def portal_key(name: str) -> str:
    """A portal name compared the way people write it: NFC, case and spacing ignored.

    Cached: ingest looks up a snapshot's ``DonViXuLy`` for every object, and a province sends
    few names; the bound keeps names nobody repeats from piling up.
    """
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class UnitDirectory:
    """The loaded directory: lookups by code, portal code or name, and official id."""

    def __init__(self, units: tuple[UnitEntry, ...]) -> None:
        self.units = units
        self._by_code = {u.code: u for u in units}
        self._by_department = {u.department_code: u for u in units}
        self._by_name = {portal_key(n): u for u in units for n in u.portal_names()}
        self._officials = {o.id: (o, u) for u in units for o in u.officials}

    def __len__(self) -> int:
        return len(self.units)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def unit(self, code: str) -> UnitEntry | None:
        """The entry of a unit code, complete or not; None when the directory lacks it."""
        return self._by_code.get(code)

    def signing_unit(self, code: str) -> UnitEntry | None:
        """The entry a letter can be issued from: present *and* complete, else None (held)."""
        found = self._by_code.get(code)
        return found if found is not None and found.complete else None

    def by_department_code(self, department_code: str) -> UnitEntry | None:
        """The unit the portal calls by this ``departmentCode``."""
        return self._by_department.get(department_code)

    def by_portal_name(self, name: str) -> UnitEntry | None:
        """The unit a portal name (``DonViXuLy``) designates, by its name or an alias."""
        return self._by_name.get(portal_key(name))

    def code_by_portal_name(self, name: str) -> str | None:
        """The code of the unit a portal name designates (`by_portal_name`), if any."""
        entry = self.by_portal_name(name)
        return entry.code if entry is not None else None

    def official(self, official_id: str) -> Official | None:
        """An official by id, whatever their unit."""
        found = self._officials.get(official_id)
        return found[0] if found else None

    def unit_of_official(self, official_id: str) -> UnitEntry | None:
        """The unit an official belongs to in the directory."""
        found = self._officials.get(official_id)
        return found[1] if found else None

    def incomplete(self) -> tuple[str, ...]:
        """Codes of the entries without the head's title and name."""
        return tuple(u.code for u in self.units if not u.complete)

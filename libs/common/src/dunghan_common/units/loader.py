"""Reading the directory file (TOML, ``[[unit]]`` tables), with errors that name the bad entry."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dunghan_common.units.model import UnitDirectory, UnitEntry, portal_key

SCHEMA_VERSION = 1


class UnitDirectoryError(ValueError):
    """The directory file cannot be used; the message names the file and the entry."""


def load_units(path: Path) -> UnitDirectory:
    """Read and validate the directory file; raise ``UnitDirectoryError`` naming what is wrong."""
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UnitDirectoryError(f"{path}: {exc}") from exc
    return parse_units(raw, str(path))


def parse_units(raw: dict[str, Any], where: str = "unit directory") -> UnitDirectory:
    """Validate a parsed document (``version`` and the ``unit`` list) into a directory."""
    if raw.get("version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise UnitDirectoryError(f"{where}: version {raw['version']!r}, expected {SCHEMA_VERSION}")
    entries = raw.get("unit")
    if not isinstance(entries, list) or not entries:
        raise UnitDirectoryError(f"{where}: no [[unit]] entries")
    units = tuple(_entry(where, i, item) for i, item in enumerate(entries, start=1))
    _unique(where, "code", [(u.code, u.code) for u in units])
    _unique(where, "department_code", [(u.department_code, u.code) for u in units])
    _unique(
        where, "portal name", [(portal_key(n), u.code) for u in units for n in u.portal_names()]
    )
    _unique(where, "official id", [(o.id, u.code) for u in units for o in u.officials])
    return UnitDirectory(units)


def _entry(where: str, index: int, item: object) -> UnitEntry:
    code = item.get("code", "?") if isinstance(item, dict) else "?"
    try:
        return UnitEntry.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
        )
        raise UnitDirectoryError(f"{where}: unit #{index} ({code}): {problems}") from None


def _unique(where: str, what: str, pairs: Iterable[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for value, code in pairs:
        if value in seen and seen[value] != code:
            raise UnitDirectoryError(f"{where}: {what} {value!r} in both {seen[value]} and {code}")
        if value in seen:
            raise UnitDirectoryError(f"{where}: unit {code}: {what} {value!r} given twice")
        seen[value] = code

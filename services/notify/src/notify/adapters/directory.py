"""Reads the directory files: ``units.toml`` (units, heads, signers) and ``officials.toml``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from notify.domain.directory import Directory, Official, Unit


def load_directory(config_dir: Path) -> Directory:
    """Load both files; a missing file means an empty part (units then get a placeholder)."""
    units = _table(config_dir / "units.toml")
    officials = _table(config_dir / "officials.toml")
    return Directory(
        units={code: Unit(code=code, **spec) for code, spec in units.items()},
        officials={oid: Official(id=oid, **spec) for oid, spec in officials.items()},
    )


def _table(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        loaded: dict[str, dict[str, str]] = tomllib.load(f)
    return loaded

"""The unit directory of the province (docs/domain.md §5): schema, loader, reloading source, import.

Every service that needs a unit's name, head, place name, portal code or officials reads it
from here: ``UnitDirectorySource.from_settings(UnitDirectorySettings())`` and ``.current()``.
"""

from dunghan_common.units.loader import SCHEMA_VERSION, UnitDirectoryError, load_units, parse_units
from dunghan_common.units.model import (
    CopyTo,
    Official,
    Person,
    UnitDirectory,
    UnitEntry,
    UnitKind,
    portal_key,
)
from dunghan_common.units.source import (
    StaticUnitDirectory,
    UnitDirectorySettings,
    UnitDirectorySource,
)

__all__ = [
    "SCHEMA_VERSION",
    "CopyTo",
    "Official",
    "Person",
    "StaticUnitDirectory",
    "UnitDirectory",
    "UnitDirectoryError",
    "UnitDirectorySettings",
    "UnitDirectorySource",
    "UnitEntry",
    "UnitKind",
    "load_units",
    "parse_units",
    "portal_key",
]

"""Import the directory from the province's spreadsheets (CSV) and write the TOML file.

``units.csv``: one row per unit, columns ``UNIT_COLUMNS`` (``aliases`` separated by ``;``, empty
cells mean "not given"). ``officials.csv`` (optional): ``unit_code,id,name,email,phone``. The
result is validated like any directory file before it is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dunghan_common.units.loader import SCHEMA_VERSION, UnitDirectoryError, parse_units
from dunghan_common.units.model import UnitDirectory, UnitEntry

UNIT_COLUMNS = (
    "code", "name", "kind", "place_name", "parent_name", "department_code", "aliases",
    "abbreviation", "email",
    "head_title", "head_name", "head_email", "deputy_title", "deputy_name", "deputy_email",
    "signs", "copy_name", "copy_email", "copy_address",
)  # fmt: skip
OFFICIAL_COLUMNS = ("unit_code", "id", "name", "email", "phone")
_HEADER = """\
# The unit directory of Quảng Trị (docs/domain.md §5 "The issuing unit"), read by every service.
# Schema: dunghan_common.units.model.UnitEntry, one [[unit]] per unit (docs/unit-directory.md).
# Written by `python -m dunghan_common.units import`; edit by hand or re-import; services
# re-read it when it changes. Official addresses only; no applicant data ever lives here.
"""


def read_csv(units_csv: Path, officials_csv: Path | None = None) -> UnitDirectory:
    """The directory the two spreadsheets describe, validated."""
    officials: dict[str, list[dict[str, str]]] = {}
    if officials_csv is not None:
        for row in _rows(officials_csv, OFFICIAL_COLUMNS):
            person = {k: row[k] for k in OFFICIAL_COLUMNS[1:] if row.get(k)}
            officials.setdefault(row["unit_code"], []).append(person)
    entries = [_unit(row, officials.pop(row["code"], [])) for row in _rows(units_csv, UNIT_COLUMNS)]
    if officials:
        raise UnitDirectoryError(f"{officials_csv}: officials of unknown units {sorted(officials)}")
    return parse_units({"version": SCHEMA_VERSION, "unit": entries}, str(units_csv))


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a CSV whose header uses only ``columns`` and has the first (the key)."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = set(reader.fieldnames or [])
        if columns[0] not in header:
            raise UnitDirectoryError(f"{path}: no {columns[0]!r} column")
        unknown = header - set(columns)
        if unknown:
            raise UnitDirectoryError(f"{path}: unknown columns {sorted(unknown)}")
        return [{k: (v or "").strip() for k, v in row.items()} for row in reader]


def _unit(row: dict[str, str], officials: list[dict[str, str]]) -> dict[str, Any]:
    entry: dict[str, Any] = {k: row[k] for k in _PLAIN if row.get(k)}
    if row.get("aliases"):
        entry["aliases"] = [a.strip() for a in row["aliases"].split(";") if a.strip()]
    for prefix in ("head", "deputy"):
        fields = ("title", "name", "email")
        person = {f: row[f"{prefix}_{f}"] for f in fields if row.get(f"{prefix}_{f}")}
        if person:
            entry[prefix] = person
    copy = {f: row[f"copy_{f}"] for f in ("name", "email", "address") if row.get(f"copy_{f}")}
    if copy:
        entry["copy_to"] = copy
    if officials:
        entry["officials"] = officials
    return entry


_PLAIN = (
    "code", "name", "kind", "place_name", "parent_name", "department_code", "abbreviation",
    "email", "signs",
)  # fmt: skip


def to_toml(directory: UnitDirectory) -> str:
    """The directory as the TOML file services read (comments and key order fixed)."""
    out = [_HEADER, f"version = {SCHEMA_VERSION}\n"]
    for unit in directory.units:
        out.append("\n[[unit]]\n")
        out.extend(_unit_lines(unit))
    return "".join(out)


def _unit_lines(unit: UnitEntry) -> Iterable[str]:
    data = unit.model_dump(exclude_none=True, exclude_defaults=True)
    data |= {"department_code": unit.department_code}  # always written, even when = code
    officials = data.pop("officials", [])
    for key in UnitEntry.model_fields:
        if key in data and key != "officials":
            yield f"{key} = {_value(data[key])}\n"
    if officials:
        yield "officials = [\n"
        yield from (f"  {_value(o)},\n" for o in officials)
        yield "]\n"


def _value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string

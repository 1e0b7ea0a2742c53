"""The sample province's unit directory as the province would supply it: two CSV files.

Every unit of `units.py`, with made-up heads and deputies (names drawn like the sample's people),
the portal's `departmentCode` (`H50.NN`, communes `H50.62.NN`), the service centre that takes
the copy of its letters, and its officials (`people.official`: the ids the sample assigns).
`config/units.toml` is this, imported:

    python -m dunghan_province.directory /tmp/dir && python -m dunghan_common.units import \
        /tmp/dir/units.csv --officials /tmp/dir/officials.csv -o config/units.toml
"""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from dunghan_common.units.importer import OFFICIAL_COLUMNS, UNIT_COLUMNS

from dunghan_province.people import OFFICIALS_PER_UNIT, official, person_name
from dunghan_province.units import SERVICE_CENTRE, UNITS, Unit

DOMAIN: Final = "quangtri.gov.vn"
PROVINCE: Final = "Quảng Trị"
_PROVINCE_CENTRE: Final = ("Trung tâm Phục vụ hành chính công tỉnh", f"ttphvhcc@{DOMAIN}")
#: The two units the configuration named before the directory existed keep their people.
_KNOWN_HEADS: Final = {
    "000.00.12.H50": (("Giám đốc", "Lê Văn Hùng"), ("Phó Giám đốc", "Nguyễn Thị Mai")),
    SERVICE_CENTRE: (("Giám đốc", "Hoàng Minh Tuấn"), None),
}
_KNOWN_HEAD_EMAILS: Final = {
    "000.00.12.H50": f"giamdoc.sxd@{DOMAIN}",
    SERVICE_CENTRE: f"giamdoc.ttphvhcc@{DOMAIN}",
}
#: The official of the contract's example events (docs/examples), kept in Sở Xây dựng.
_EXAMPLE_OFFICIAL: Final = ("000.00.12.H50", "cb-1024", "Trần Thị Bình", "binh.tt@" + DOMAIN)
_PARENTS: Final = {
    "000.00.14.H50": "Bộ Công an",
    "000.00.15.H50": "Cục Thuế",
    "000.00.16.H50": "Bảo hiểm xã hội Việt Nam",
}
_TITLES: Final = {
    "000.00.13.H50": ("Trưởng ban", "Phó Trưởng ban"),
    "000.00.15.H50": ("Trưởng Thuế tỉnh", "Phó Trưởng Thuế tỉnh"),
}
#: Letter-number abbreviations where the initials of the name would not be the usual one.
_ABBREVIATIONS: Final = {
    "000.00.14.H50": "CAT",
    "000.00.15.H50": "TTQT",
    "000.00.16.H50": "BHXH",
    SERVICE_CENTRE: "TTPVHCC",
}
_LOCAL_PREFIX: Final = {"ward": "phường", "commune": "xã", "special_zone": "đặc khu"}


def unit_rows() -> Iterator[dict[str, str]]:
    """One `units.csv` row per unit of the sample province."""
    for unit in UNITS:
        yield _row(unit)


def official_rows() -> Iterator[dict[str, str]]:
    """Every official the sample can assign, by unit, then the example events' official."""
    for index, unit in enumerate(UNITS):
        for number in range(1, OFFICIALS_PER_UNIT + 1):
            person = official(index, number)
            yield {"unit_code": unit.code, "id": person["id"], "name": person["name"]} | {
                "email": person["email"],
                "phone": "",
            }
    code, oid, name, email = _EXAMPLE_OFFICIAL
    yield {"unit_code": code, "id": oid, "name": name, "email": email, "phone": ""}


def _row(unit: Unit) -> dict[str, str]:
    local = unit.is_local
    place = unit.name.split(" ", 2)[-1] if local else PROVINCE
    name = f"Ủy ban nhân dân {_LOCAL_PREFIX[unit.kind]} {place}" if local else unit.name
    slug = _slug(place) if local else _slug(unit.code.split(".")[2])
    head, deputy = _people(unit, local)
    centre = (
        (
            f"Trung tâm Phục vụ hành chính công {_LOCAL_PREFIX[unit.kind]} {place}",
            f"ttphvhcc.{slug}@{DOMAIN}",
        )
        if local
        else _PROVINCE_CENTRE
    )
    return {
        "code": unit.code,
        "name": name,
        "kind": unit.kind,
        "place_name": place,
        "parent_name": "" if local else _PARENTS.get(unit.code, f"Ủy ban nhân dân tỉnh {PROVINCE}"),
        "department_code": department_code(unit.code),
        "aliases": "" if name == unit.name else unit.name,
        "abbreviation": "UBND" if local else _ABBREVIATIONS.get(unit.code, ""),
        "email": f"{'ubnd' if local else 'vanthu'}.{slug}@{DOMAIN}",
        "head_title": head[0],
        "head_name": head[1],
        "head_email": _KNOWN_HEAD_EMAILS.get(
            unit.code, f"{'chutich' if local else 'thutruong'}.{slug}@{DOMAIN}"
        ),
        "deputy_title": deputy[0] if deputy else "",
        "deputy_name": deputy[1] if deputy else "",
        "deputy_email": "",
        "signs": "deputy" if unit.code == "000.00.12.H50" else "head",
        "copy_name": centre[0],
        "copy_email": centre[1],
        "copy_address": "",
    }


def _people(unit: Unit, local: bool) -> tuple[tuple[str, str], tuple[str, str] | None]:
    if unit.code in _KNOWN_HEADS:
        return _KNOWN_HEADS[unit.code]
    title, deputy = (
        ("Chủ tịch", "Phó Chủ tịch")
        if local
        else _TITLES.get(unit.code, ("Giám đốc", "Phó Giám đốc"))
    )
    rng = random.Random(f"head:{unit.code}")
    return (title, person_name(rng)), (deputy, person_name(rng))


def department_code(code: str) -> str:
    """The portal's `departmentCode`: `H50.12` for a department, `H50.62.05` for a commune."""
    _, group, number, province = code.split(".")
    return f"{province}.{number}" if group == "00" else f"{province}.{group}.{number}"


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain.lower() if ch.isascii() and ch.isalnum())


def write_csv(folder: Path) -> tuple[Path, Path]:
    """Write `units.csv` and `officials.csv` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    units, officials = folder / "units.csv", folder / "officials.csv"
    for path, columns, rows in (
        (units, UNIT_COLUMNS, unit_rows()),
        (officials, OFFICIAL_COLUMNS, official_rows()),
    ):
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return units, officials


if __name__ == "__main__":
    for written in write_csv(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)

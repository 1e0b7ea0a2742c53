"""The unit directory: schema, errors naming the entry, lookups, CSV import, reload on change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dunghan_common.units import (
    UnitDirectoryError,
    UnitDirectorySource,
    load_units,
    parse_units,
)
from dunghan_common.units.__main__ import main
from dunghan_common.units.importer import read_csv, to_toml

COMMITTED = Path("config/units.toml")


def _unit(code: str = "000.00.12.H50", **extra: object) -> dict[str, object]:
    return {
        "code": code,
        "name": "Sở Xây dựng",
        "kind": "department",
        "place_name": "Quảng Trị",
        "department_code": "H50." + code.split(".")[2],
        "head": {"title": "Giám đốc", "name": "Lê Văn Hùng"},
    } | extra


def test_lookups_by_code_portal_code_name_and_official() -> None:
    units = parse_units(
        {
            "unit": [
                _unit(aliases=["Sở XD"], officials=[{"id": "cb-1", "name": "A", "email": "a@x"}])
            ]
        }
    )
    entry = units.unit("000.00.12.H50")
    assert entry is not None
    assert entry.complete
    assert units.signing_unit("000.00.12.H50") is entry
    assert units.by_department_code("H50.12") is entry
    assert units.by_portal_name("  sở  xd ") is entry
    assert units.by_portal_name("Sở Xây Dựng") is entry
    official = units.official("cb-1")
    assert official is not None
    assert official.email == "a@x"
    assert units.unit_of_official("cb-1") is entry
    assert units.unit("000.00.99.H50") is None
    assert units.official("cb-2") is None


@pytest.mark.parametrize(
    "head", [None, {"title": "Giám đốc"}, {"name": "Lê Văn Hùng"}, {"title": " ", "name": "X"}]
)
def test_an_entry_without_the_heads_title_and_name_counts_as_missing(
    head: dict[str, str] | None,
) -> None:
    units = parse_units({"unit": [_unit(head=head) if head else _unit() | {"head": None}]})
    assert units.unit("000.00.12.H50") is not None
    assert units.signing_unit("000.00.12.H50") is None
    assert units.incomplete() == ("000.00.12.H50",)


@pytest.mark.parametrize(
    ("units", "named"),
    [
        ([_unit(), _unit("000.00.13.H50", kind="ministry")], "unit #2 (000.00.13.H50): kind"),
        ([_unit(), _unit("000.00.13.H50", place_name="")], "unit #2 (000.00.13.H50): place_name"),
        ([_unit(), _unit()], "code '000.00.12.H50' given twice"),
        ([_unit(), _unit("000.00.13.H50", department_code="H50.12")], "in both 000.00.12.H50"),
        ([_unit(signs="deputy")], "unit #1 (000.00.12.H50): entry: Value error, signs"),
        ([_unit(head_name="x")], "unit #1 (000.00.12.H50): head_name: Extra inputs"),
    ],
)
def test_errors_name_the_bad_entry(units: list[dict[str, object]], named: str) -> None:
    with pytest.raises(UnitDirectoryError, match=r"^where: ") as err:
        parse_units({"unit": units}, "where")
    assert named in str(err.value)


def test_a_bad_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "units.toml"
    path.write_text("[[unit]]\ncode = \n")
    with pytest.raises(UnitDirectoryError, match=str(path)):
        load_units(path)


def test_import_from_csv_round_trips_through_the_toml_file(tmp_path: Path) -> None:
    units_csv = tmp_path / "units.csv"
    units_csv.write_text(
        "code,name,kind,place_name,department_code,aliases,head_title,head_name,"
        "deputy_title,deputy_name,signs,copy_name,copy_email\n"
        "000.62.05.H50,Ủy ban nhân dân xã Tân Thành,commune,Tân Thành,H50.62.05,"
        "UBND xã Tân Thành;Xã Tân Thành,Chủ tịch,Hồ Xuân Hạnh,Phó Chủ tịch,Ngô Quang Thảo,"
        "deputy,Trung tâm Phục vụ hành chính công xã Tân Thành,tt@example.vn\n"
        "000.62.06.H50,Ủy ban nhân dân xã Đồng Lê,commune,Đồng Lê,H50.62.06,,,,,,,,\n",
        encoding="utf-8",
    )
    officials_csv = tmp_path / "officials.csv"
    officials_csv.write_text(
        "unit_code,id,name,email,phone\n000.62.05.H50,cb-02801,Bùi Hữu Nam,cb@example.vn,\n"
    )
    out = tmp_path / "units.toml"
    argv = ["import", str(units_csv), "--officials", str(officials_csv), "-o", str(out)]
    assert main(argv) == 0
    loaded = load_units(out)
    first = loaded.unit("000.62.05.H50")
    assert first is not None
    assert first.signs == "deputy"
    assert first.deputy is not None
    assert first.aliases == ("UBND xã Tân Thành", "Xã Tân Thành")
    assert first.copy_to is not None
    assert first.copy_to.email == "tt@example.vn"
    assert loaded.official("cb-02801") is not None
    assert loaded.incomplete() == ("000.62.06.H50",)
    assert to_toml(loaded) == out.read_text(encoding="utf-8")
    assert main(["check", str(out)]) == 0


def test_import_refuses_officials_of_unknown_units(tmp_path: Path) -> None:
    (tmp_path / "u.csv").write_text("code,name,kind,place_name,department_code\n")
    (tmp_path / "o.csv").write_text("unit_code,id\n000.00.99.H50,cb-1\n")
    with pytest.raises(UnitDirectoryError, match="officials of unknown units"):
        read_csv(tmp_path / "u.csv", tmp_path / "o.csv")


def test_the_source_reloads_a_changed_file_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "units.toml"
    path.write_text(COMMITTED.read_text(encoding="utf-8"), encoding="utf-8")
    ticks = iter(range(0, 1000, 10))
    source = UnitDirectorySource(path, reload_s=5, monotonic=lambda: float(next(ticks)))
    assert len(source.current()) == 94
    path.write_text(to_toml(parse_units({"unit": [_unit()]})), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a new stamp even within the file system's time resolution
    assert len(source.current()) == 1
    path.write_text("not = [toml", encoding="utf-8")
    os.utime(path, ns=(2, 2))
    assert len(source.current()) == 1  # refused: the previous directory stays in force


def test_the_committed_directory_is_complete() -> None:
    units = load_units(COMMITTED)
    assert len(units) == 94
    assert units.incomplete() == ()

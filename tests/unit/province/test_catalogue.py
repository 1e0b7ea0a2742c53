"""The sample's units and procedures agree with docs/domain.md §2 and the configuration."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from dunghan_common.units import load_units
from dunghan_province.catalogue import LOCAL, PROCEDURES
from dunghan_province.units import LOCAL_UNITS, UNITS, UNITS_BY_CODE, unit_name

ROOT = Path(__file__).resolve().parents[3]


def test_78_commune_level_units_8_wards_69_communes_1_special_zone() -> None:
    kinds = Counter(u.kind for u in LOCAL_UNITS)
    assert kinds == {"ward": 8, "commune": 69, "special_zone": 1}
    assert unit_name("000.63.01.H50") == "UBND đặc khu Cồn Cỏ"


def test_unit_codes_are_unique_and_shaped_like_the_portals() -> None:
    codes = [u.code for u in UNITS]
    assert len(codes) == len(set(codes))
    assert all(c.startswith("000.") and c.endswith(".H50") for c in codes)
    assert len({u.name for u in UNITS}) == len(UNITS)


def test_codes_the_configuration_uses_keep_their_meaning() -> None:
    directory = load_units(ROOT / "config/units.toml")
    for unit in directory.units:
        assert unit.name == UNITS_BY_CODE[unit.code].name or UNITS_BY_CODE[unit.code].name in (
            unit.aliases
        )


def test_every_procedure_belongs_to_a_known_unit_and_rule() -> None:
    for p in PROCEDURES:
        assert p.scope == LOCAL or p.scope in UNITS_BY_CODE, p
        assert p.unit in ("working_days", "working_hours", "calendar_days")
        assert p.fee >= 0
        assert 0 <= p.online_share <= 1
    rules = tomllib.loads((ROOT / "config/sla/2025-07-01-nd118.toml").read_text())
    restarted = set(rules.get("supplement_rule_by_procedure", {}))
    assert rules["supplement_rule"] == "pause"
    assert not restarted & {p.code for p in PROCEDURES}  # the generator assumes `pause`


def test_every_provincial_unit_has_a_procedure() -> None:
    scopes = {p.scope for p in PROCEDURES}
    handled = [u for u in UNITS if not u.is_local and u.kind != "centre"]
    assert all(u.code in scopes for u in handled)

"""Read the rule sets (config/sla/*.toml), the yearly targets (config/targets/<year>.toml) and
the unit codes of the units file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from sla.domain.kpis import Targets
from sla.domain.rules import RuleBook, RuleSet

_YEAR_FILE = re.compile(r"^(\d{4})\.toml$")


def load_rules(directory: Path) -> RuleBook:
    """Every ``*.toml`` rule set in ``directory``, keyed by its ``valid_from``."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise FileNotFoundError(f"no rule set in {directory}")
    return RuleBook.of([RuleSet.model_validate(_read(path)) for path in files])


def load_targets(directory: Path) -> dict[int, Targets]:
    """The KPI targets per year, from files named ``<year>.toml``."""
    targets: dict[int, Targets] = {}
    for path in sorted(directory.glob("*.toml")):
        match = _YEAR_FILE.match(path.name)
        if match is None:
            continue
        year = int(match.group(1))
        data = _read(path)
        if data.setdefault("year", year) != year:
            raise ValueError(f"{path}: the year key disagrees with the file name")
        targets[year] = Targets.model_validate(data)
    return targets


def _read(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        return tomllib.load(handle)

"""What the deployment tests share: the rule files, the dashboards' queries, the metric names."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))
SERVICE_DIRS = ("ingest", "sla", "sync-audit", "notify")

#: Grafana's variables, replaced by what they expand to with "All" selected.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "${unit}": ".*", "$unit": ".*"}
_METRIC = re.compile(r"\b(dunghan_[a-z0-9_]+|up)\b")
_SERIES_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")
# A comparison outside label matchers and strings: such a query filters, and may rightly be empty.
_COMPARISON = re.compile(r"(?<![=!<>~])(>=|<=|==|!=|>|<)(?![=~])")


@dataclass(frozen=True)
class Query:
    """One PromQL expression and where it comes from."""

    origin: str
    expr: str

    @property
    def metrics(self) -> set[str]:
        """The metric names the expression reads (ours are all `dunghan_*`, plus `up`)."""
        return set(_METRIC.findall(_strip_strings(self.expr)))

    @property
    def filters(self) -> bool:
        """True when the expression compares or tests absence: it is empty while all is well."""
        bare = _strip_strings(_strip_matchers(self.expr))
        return bool(_COMPARISON.search(bare)) or "absent(" in bare


def _strip_strings(expr: str) -> str:
    return re.sub(r'"[^"]*"', '""', expr)


def _strip_matchers(expr: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", _strip_strings(expr))


def rules() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every rule of every rule file, with its file."""
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield path, rule


def alert_queries() -> list[Query]:
    """The expression of every alerting rule."""
    return [Query(f"alert {r['alert']}", r["expr"].strip()) for _, r in rules() if "alert" in r]


def dashboard(path: Path) -> dict[str, Any]:
    """One dashboard's JSON."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard, rows' nested panels included."""
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def expand(expr: str) -> str:
    """A panel query with Grafana's variables expanded."""
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def dashboard_queries() -> list[Query]:
    """Every panel query and query variable of every dashboard, variables expanded."""
    found = []
    for path in DASHBOARDS:
        board = dashboard(path)
        for panel in panels(board):
            for target in panel.get("targets", []):
                origin = f"{path.name}: {panel['title']} [{target['refId']}]"
                found.append(Query(origin, expand(target["expr"])))
        for var in board.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                inner = re.search(r"label_values\((\w+)", var["definition"])
                if inner:
                    found.append(Query(f"{path.name}: variable {var['name']}", inner.group(1)))
    return found


def declared_metrics() -> set[str]:
    """Metric names created in the code (libs and services), as strings in their source."""
    names: set[str] = {"up"}
    for src in [*ROOT.glob("libs/*/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]:
        names |= set(re.findall(r"\"(dunghan_[a-z0-9_]+)\"", src.read_text()))
    return names


def is_declared(metric: str, declared: set[str]) -> bool:
    """True when a series name belongs to a metric the code declares (`_total`, `_bucket`...)."""
    if metric in declared:
        return True
    for suffix in _SERIES_SUFFIXES:
        base = metric.removesuffix(suffix)
        if base != metric and (base in declared or f"{base}_total" in declared):
            return True
    return False


def tool(name: str) -> str | None:
    """A tool's path: on PATH, or built into .stack/bin by deploy/local/tools.sh.

    Missing, the tests that need it skip, except under `make test` (DUNGHAN_REQUIRE_TOOLS=1),
    where a missing tool is an error: the Makefile installs the tools first.
    """
    local = ROOT / ".stack" / "bin" / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None and os.environ.get("DUNGHAN_REQUIRE_TOOLS") == "1":
        raise RuntimeError(f"{name} is missing: run deploy/local/tools.sh")
    return found

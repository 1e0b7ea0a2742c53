"""The alert rules: valid, unit-tested with promtool, documented, and mirrored for Kubernetes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.deploy.observability import (
    PROMETHEUS_DIR,
    ROOT,
    RULE_FILES,
    RULE_TESTS,
    alert_queries,
    declared_metrics,
    is_declared,
    rules,
    tool,
)

PROMTOOL = tool("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool missing: run deploy/local/tools.sh"
)
REQUIRED_ALERTS = {
    "DunghanIngestRejecting",
    "DunghanIngestServerErrors",
    "DunghanConsumerLagGrowing",
    "DunghanDeadLetters",
    "DunghanTimerLag",
    "DunghanCalendarHorizonShort",
    "DunghanNotificationsFailing",
    "DunghanSyncFailuresSurging",
    "DunghanServiceDown",
}


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run promtool and return its result (never raises on a failing check)."""
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@needs_promtool
def test_every_rule_file_passes_promtool_check_rules():
    done = promtool("check", "rules", *map(str, RULE_FILES))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_the_local_prometheus_config_is_valid():
    done = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_promtool_unit_tests_pass_as_the_readme_runs_them():
    # From the repository root, every test file at once: `promtool test rules
    # deploy/prometheus/tests/*.yml`. The tests pin the rendered annotations too.
    done = promtool("test", "rules", *(str(p.relative_to(ROOT)) for p in RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_rule_file_has_a_test_file_and_every_alert_a_firing_case():
    tested_files = set()
    firing = set()
    for path in RULE_TESTS:
        data = yaml.safe_load(path.read_text())
        tested_files |= {Path(f).name for f in data["rule_files"]}
        for case in data["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    firing.add(check["alertname"])
    assert {p.name for p in RULE_FILES} <= tested_files
    alerts = {rule["alert"] for _, rule in rules() if "alert" in rule}
    assert alerts - firing == set(), "alerts without a test in which they fire"


def test_the_issue_s_alerts_all_exist():
    alerts = {rule["alert"] for _, rule in rules() if "alert" in rule}
    assert alerts >= REQUIRED_ALERTS


@pytest.mark.parametrize("path_rule", list(rules()), ids=lambda pr: pr[1].get("alert", "record"))
def test_every_alert_has_severity_summary_and_a_runbook(path_rule):
    _, rule = path_rule
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert rule["annotations"]["summary"].strip()
    assert len(rule["annotations"]["runbook"].split()) >= 20, "a runbook says what to do"


def test_alerts_use_only_metrics_the_services_declare():
    declared = declared_metrics()
    for query in alert_queries():
        unknown = {m for m in query.metrics if not is_declared(m, declared)}
        assert not unknown, f"{query.origin} reads undeclared metrics {unknown}"


def test_every_alert_is_explained_in_the_operations_guide():
    guide = (ROOT / "docs" / "operations.md").read_text()
    missing = [r["alert"] for _, r in rules() if "alert" in r and r["alert"] not in guide]
    assert missing == []


def test_the_kubernetes_prometheusrule_is_generated_from_the_rule_files():
    done = subprocess.run(
        [sys.executable, str(PROMETHEUS_DIR / "prometheusrule.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout

"""The Grafana dashboards: well-formed, provisioned, and reading only metrics that exist.

Whether each query parses and returns data is checked against a real Prometheus by
tests/e2e/observability; here the checks are static.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.unit.deploy.observability import (
    DASHBOARDS,
    ROOT,
    dashboard,
    dashboard_queries,
    declared_metrics,
    is_declared,
    panels,
)

EXPECTED = {"pipeline.json", "sla.json", "escalations.json", "notifications.json", "kpi.json"}


def test_the_five_boards_exist_with_unique_uids():
    assert {p.name for p in DASHBOARDS} == EXPECTED
    uids = [dashboard(p)["uid"] for p in DASHBOARDS]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_a_board_is_well_formed(path):
    board = json.loads(path.read_text())
    assert board["title"]
    assert board["schemaVersion"] >= 36
    ids = [p["id"] for p in panels(board)]
    assert len(set(ids)) == len(ids), "panel ids are unique"
    variables = {v["name"] for v in board["templating"]["list"]}
    assert "datasource" in variables
    for panel in panels(board):
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        grid = panel["gridPos"]
        assert 0 <= grid["x"] < grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            assert expr.count("(") == expr.count(")"), f"{panel['title']}: unbalanced ()"
            assert expr.count("{") == expr.count("}"), f"{panel['title']}: unbalanced {{}}"
            used = {w for w in ("$unit", "${unit}") if w in expr}
            assert not used or "unit" in variables, f"{panel['title']} uses an undefined $unit"


def test_every_query_reads_only_metrics_the_services_declare():
    declared = declared_metrics()
    for query in dashboard_queries():
        assert query.metrics, f"{query.origin} reads no metric"
        unknown = {m for m in query.metrics if not is_declared(m, declared)}
        assert not unknown, f"{query.origin} reads undeclared metrics {unknown}"


def test_the_provisioning_files_point_at_the_dashboards():
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/dunghan.yml").read_text()
    )
    assert provider["providers"][0]["type"] == "file"
    source = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert source["datasources"][0]["type"] == "prometheus"


def test_the_dashboard_configmaps_list_every_board():
    kustomization = yaml.safe_load((ROOT / "deploy/grafana/kustomization.yaml").read_text())
    files = {f.split("/")[-1] for g in kustomization["configMapGenerator"] for f in g["files"]}
    assert files == EXPECTED

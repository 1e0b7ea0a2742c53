"""deploy/k8s: every overlay builds with kustomize and its objects are valid and complete.

Core objects are validated strictly against the Kubernetes schemas that kubernetes-validate
bundles (offline). Operator objects (Strimzi, CloudNativePG, KEDA, Prometheus Operator) are not
core: they get a structural check of the fields this system relies on.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dunghan_common.events import topics as contract
from dunghan_common.kafka import contract_topics

from tests.unit.deploy.observability import (
    DASHBOARDS,
    K8S,
    OVERLAYS,
    PROMETHEUS_DIR,
    ROOT,
    SERVICE_DIRS,
    alert_queries,
    dashboard_queries,
    tool,
)

KUSTOMIZE = tool("kustomize")
K8S_VERSION = "1.30.0"
CRD_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "keda.sh", "monitoring.coreos.com")
#: Roles that are not long-running processes: `run` is all roles in one process (local stack),
#: `migrate` is the Job, `prune` and `backfill` are ingest's one-shot commands, `reseal` notify's
#: (re-sealing contacts under a new key, run by an operator), the others operators' commands too.
NOT_DEPLOYED = {
    "run",
    "migrate",
    "prune",
    "backfill",
    "import-index",
    "replay-dead-letters",
    "reseal",
}
pytestmark = pytest.mark.skipif(KUSTOMIZE is None, reason="run deploy/local/tools.sh")


@functools.cache
def build(overlay: Path) -> tuple[dict[str, Any], ...]:
    """The objects `kustomize build` renders for an overlay (default load restrictor)."""
    assert KUSTOMIZE is not None
    done = subprocess.run(
        [KUSTOMIZE, "build", str(overlay)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def of_kind(objects: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    """Objects of one kind."""
    return [o for o in objects if o["kind"] == kind]


def is_core(obj: dict[str, Any]) -> bool:
    """True for objects of Kubernetes itself (schemas bundled by kubernetes-validate)."""
    return obj["apiVersion"].split("/")[0] not in CRD_GROUPS


def roles(service_dir: str) -> set[str]:
    """The roles a service's ``__main__`` dispatches (the keys of its ``main({...})`` call)."""
    main = next((ROOT / "services" / service_dir / "src").glob("*/__main__.py"))
    for node in ast.walk(ast.parse(main.read_text())):
        call = isinstance(node, ast.Call) and getattr(node.func, "id", "") == "main"
        if call and node.args and isinstance(node.args[0], ast.Dict):
            return {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
    raise AssertionError(f"no main({{...}}) in {main}")


def test_there_are_dev_and_prod_overlays():
    assert {p.name for p in OVERLAYS} >= {"dev", "prod"}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_every_core_object_passes_strict_schema_validation(overlay):
    core = [o for o in build(overlay) if is_core(o)]
    assert len(core) > 30
    for obj in core:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message} at {exc.path}")


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_operator_objects_are_structurally_sound(overlay):
    for obj in build(overlay):
        if is_core(obj):
            continue
        name = f"{obj['kind']}/{obj['metadata'].get('name')}"
        assert obj["metadata"]["name"], name
        assert obj["metadata"]["namespace"] == "dunghan", name
        assert isinstance(obj.get("spec"), dict), name
        check = _STRUCTURE.get(obj["kind"])
        assert check is not None, f"unexpected operator object {name}"
        check(obj["spec"])


def _kafka(spec: dict[str, Any]) -> None:
    assert spec["kafka"]["listeners"]
    assert "zookeeper" not in spec
    assert spec["entityOperator"]["topicOperator"] is not None


def _node_pool(spec: dict[str, Any]) -> None:
    assert set(spec["roles"]) == {"controller", "broker"}
    assert spec["replicas"] >= 1


def _topic(spec: dict[str, Any]) -> None:
    assert spec["partitions"] >= 1
    assert spec["replicas"] >= 1


def _cluster(spec: dict[str, Any]) -> None:
    assert spec["instances"] >= 1
    assert spec["storage"]["size"]


def _database(spec: dict[str, Any]) -> None:
    assert spec["cluster"]["name"] == "dunghan-pg"
    assert spec["name"]
    assert spec["owner"]


def _scaled(spec: dict[str, Any]) -> None:
    assert spec["scaleTargetRef"]["name"]
    assert spec["triggers"]
    assert all(t["type"] == "kafka" for t in spec["triggers"])


def _monitor(spec: dict[str, Any]) -> None:
    assert spec["selector"]["matchLabels"]
    assert spec["endpoints"][0]["path"] == "/metrics"


def _pod_monitor(spec: dict[str, Any]) -> None:
    assert spec["selector"]["matchLabels"]
    assert spec["podMetricsEndpoints"][0]["path"] == "/metrics"


def _rules(spec: dict[str, Any]) -> None:
    assert all(g["rules"] for g in spec["groups"])


def _user(spec: dict[str, Any]) -> None:
    assert spec["authentication"]["type"] in {"scram-sha-512", "tls"}
    assert spec["authorization"]["acls"]


def _scheduled_backup(spec: dict[str, Any]) -> None:
    assert spec["cluster"]["name"] == "dunghan-pg"
    assert len(spec["schedule"].split()) == 6  # CNPG's cron has seconds


def _trigger_auth(spec: dict[str, Any]) -> None:
    assert spec["secretTargetRef"]


_STRUCTURE = {
    "Kafka": _kafka,
    "KafkaNodePool": _node_pool,
    "KafkaTopic": _topic,
    "Cluster": _cluster,
    "Database": _database,
    "ScaledObject": _scaled,
    "ServiceMonitor": _monitor,
    "PodMonitor": _pod_monitor,
    "PrometheusRule": _rules,
    "KafkaUser": _user,
    "ScheduledBackup": _scheduled_backup,
    "TriggerAuthentication": _trigger_auth,
}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_a_deployment_per_process_role_with_probes_resources_and_a_pdb(overlay):
    objects = build(overlay)
    deployments = {d["metadata"]["name"]: d for d in of_kind(objects, "Deployment")}
    expected = {
        f"dunghan-{svc}" if role == "api" else f"dunghan-{svc}-{role}"
        for svc in SERVICE_DIRS
        for role in roles(svc) - NOT_DEPLOYED
    }
    assert set(deployments) == expected
    budgets = [
        p["spec"]["selector"]["matchLabels"] for p in of_kind(objects, "PodDisruptionBudget")
    ]
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for c in pod["containers"]:
            assert {"startupProbe", "livenessProbe", "readinessProbe"} <= c.keys(), name
            assert c["resources"]["requests"], name
            assert c["resources"]["limits"]["memory"], name
        # Every role (API or worker) serves /healthz (no dependencies) and /readyz (its
        # dependencies) on the HTTP port the process is told to bind.
        main = pod["containers"][0]
        env = {e["name"]: e.get("value") for e in main["env"]}
        (port,) = [p for p in main["ports"] if p["name"] == "http"]
        assert str(port["containerPort"]) == env["DUNGHAN_HTTP_PORT"], name
        assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert dep["spec"]["selector"]["matchLabels"] in budgets, f"{name} has no PDB"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_secrets_are_referenced_never_committed(overlay):
    objects = build(overlay)
    assert of_kind(objects, "Secret") == []
    text = yaml.safe_dump_all(objects)
    for placeholder in ("dev-ops-token", "dev-ingest-key"):
        assert placeholder not in text
    # A password may be referenced (`password:` then a secretKeyRef), never written in.
    assert not re.search(r"password: \S", text)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_a_migration_job_per_service(overlay):
    jobs = of_kind(build(overlay), "Job")
    args = {
        (
            j["spec"]["template"]["spec"]["containers"][0]["image"].split("/")[-1].split(":")[0],
            tuple(j["spec"]["template"]["spec"]["containers"][0]["args"]),
        )
        for j in jobs
    }
    assert args == {(svc, ("migrate",)) for svc in SERVICE_DIRS}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_topics_are_the_contract_s_and_keda_never_scales_past_the_partitions(overlay):
    objects = build(overlay)
    partitions = {
        t["spec"].get("topicName", t["metadata"]["name"]): t["spec"]["partitions"]
        for t in of_kind(objects, "KafkaTopic")
    }
    main = {
        contract.DOSSIER_EVENTS,
        contract.DOSSIER_CONTACTS,
        contract.SLA_ALERTS,
        contract.AUDIT_FINDINGS,
    }
    assert set(partitions) == main | {f"{t}.dlq" for t in main}
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    scaled = of_kind(objects, "ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == {
        d for d in deployments if d.endswith("-consume")
    }
    for obj in scaled:
        cap = min(partitions[t["metadata"]["topic"]] for t in obj["spec"]["triggers"])
        assert obj["spec"]["maxReplicaCount"] <= cap, obj["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_topic_configs_are_the_declared_ones_of_libs_common(overlay):
    """One declared retention per topic (the contacts topic's above all): the cluster's topics
    and the local stack's (`ensure-topics`) never disagree."""
    declared = {spec.name: spec.config for spec in contract_topics()}
    for topic in of_kind(build(overlay), "KafkaTopic"):
        name = topic["spec"].get("topicName", topic["metadata"]["name"])
        config = {k: str(v) for k, v in topic["spec"]["config"].items()}
        config.pop("min.insync.replicas", None)  # prod's replication, not a retention
        assert config == declared[name], name


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_rules_and_dashboards_come_from_their_single_source(overlay):
    objects = build(overlay)
    (rule,) = of_kind(objects, "PrometheusRule")
    generated = yaml.safe_load((PROMETHEUS_DIR / "prometheusrule.yaml").read_text())
    assert rule["spec"] == generated["spec"]
    shipped = {
        key: value
        for cm in of_kind(objects, "ConfigMap")
        if cm["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
        for key, value in cm["data"].items()
    }
    assert shipped == {p.name: p.read_text() for p in DASHBOARDS}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_the_service_monitor_selects_every_api_service(overlay):
    objects = build(overlay)
    (monitor,) = of_kind(objects, "ServiceMonitor")
    wanted = monitor["spec"]["selector"]["matchLabels"]
    selected = {
        s["metadata"]["name"]
        for s in of_kind(objects, "Service")
        if wanted.items() <= s["metadata"]["labels"].items()
    }
    assert selected == {f"dunghan-{svc}" for svc in SERVICE_DIRS}


def test_prod_replicates_kafka_and_postgres():
    objects = build(K8S / "overlays" / "prod")
    (pool,) = of_kind(objects, "KafkaNodePool")
    (kafka,) = of_kind(objects, "Kafka")
    (cluster,) = of_kind(objects, "Cluster")
    assert pool["spec"]["replicas"] == 3
    assert cluster["spec"]["instances"] == 3
    assert kafka["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert kafka["spec"]["kafka"]["listeners"], "the base's listeners survive the patch"


@pytest.mark.parametrize("service_dir", SERVICE_DIRS)
def test_a_dockerfile_per_service_built_with_uv_running_as_non_root(service_dir):
    text = (ROOT / "services" / service_dir / "Dockerfile").read_text()
    assert f"uv sync --frozen --no-dev --package dunghan-{service_dir}" in text
    package = next((ROOT / "services" / service_dir / "src").glob("*/__main__.py")).parent.name
    assert f'ENTRYPOINT ["python", "-m", "{package}"]' in text
    last_user = [line for line in text.splitlines() if line.startswith("USER ")][-1]
    assert last_user.split()[1].split(":")[0] not in {"0", "root"}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """True when a label selector (matchLabels and matchExpressions) selects these labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_every_process_role_is_scraped_once_as_its_service_s_job(overlay):
    objects = build(overlay)
    (monitor,) = of_kind(objects, "ServiceMonitor")
    (pods,) = of_kind(objects, "PodMonitor")
    wanted = monitor["spec"]["selector"]
    services = [s for s in of_kind(objects, "Service") if selects(wanted, s["metadata"]["labels"])]
    (endpoint,) = pods["spec"]["podMetricsEndpoints"]
    job = next(r for r in endpoint["relabelings"] if r["targetLabel"] == "job")
    assert job["sourceLabels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    assert job["replacement"] == "dunghan-$1"
    policies = {n["metadata"]["name"]: n for n in of_kind(objects, "NetworkPolicy")}
    scrape_policy = policies["metrics-from-monitoring"]
    for dep in of_kind(objects, "Deployment"):
        name = dep["metadata"]["name"]
        labels = dep["spec"]["template"]["metadata"]["labels"]
        via_service = [
            s for s in services if selects({"matchLabels": s["spec"]["selector"]}, labels)
        ]
        via_pod = selects(pods["spec"]["selector"], labels)
        times = len(via_service) + via_pod
        assert times == 1, f"{name} is scraped {times} times"
        # Either way the job is dunghan-<service>, as the rules and dashboards expect.
        svc = labels["app.kubernetes.io/name"]
        assert via_pod or via_service[0]["metadata"]["name"] == f"dunghan-{svc}", name
        ports = dep["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert endpoint["port"] in {p["name"] for p in ports}, name
        assert selects(scrape_policy["spec"]["podSelector"], labels), f"{name}: scrape refused"
    (rule,) = scrape_policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]


def _worker_registries() -> dict[str, Any]:
    """The registry of a worker process of each service with workers (built, never started)."""
    from notify import bootstrap as notify
    from notify.settings import NotifySettings
    from sla.bootstrap import Sla
    from sla.settings import SlaSettings
    from sync_audit.bootstrap import build as sync_audit
    from sync_audit.settings import SyncAuditSettings

    return {
        "sla": Sla(SlaSettings(env="test")).registry,
        "sync-audit": sync_audit(SyncAuditSettings(env="test")).registry,
        "notify": notify.build(NotifySettings(env="test")).registry,
    }


def test_gauges_read_with_min_are_not_taken_from_workers_that_never_set_them():
    # An unlabelled gauge exists (at 0) in every process of a service, but only the role that
    # refreshes it holds a value: the zero of the others must not reach a min() query.
    (pods,) = of_kind(build(OVERLAYS[0]), "PodMonitor")
    (endpoint,) = pods["spec"]["podMetricsEndpoints"]
    dropped = [
        re.compile(r["regex"])
        for r in endpoint.get("metricRelabelings", [])
        if r.get("action") == "drop" and r["sourceLabels"] == ["__name__"]
    ]
    queries = [q for q in alert_queries() + dashboard_queries() if "min(" in q.expr]
    checked = 0
    for service, registry in _worker_registries().items():
        for family in registry.collect():
            unlabelled = [s for s in family.samples if not s.labels]
            if family.type != "gauge" or not unlabelled:
                continue
            for query in queries:
                if family.name in query.metrics:
                    checked += 1
                    assert any(d.fullmatch(family.name) for d in dropped), (
                        f"{query.origin}: min() over {family.name}, 0 in {service}'s workers"
                    )
    assert checked, "no min() query over an unlabelled gauge: this test checks nothing"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_notify_reads_the_unit_directory_from_a_mounted_configmap(overlay):
    objects = build(overlay)
    maps = {m["metadata"]["name"]: m for m in of_kind(objects, "ConfigMap")}
    units = maps["dunghan-units"]["data"]["units.toml"]
    assert units == (ROOT / "config" / "units.toml").read_text(encoding="utf-8")
    path = maps["dunghan-notify"]["data"]["DUNGHAN_UNITS_PATH"]
    notify = [
        d
        for d in of_kind(objects, "Deployment")
        if d["metadata"]["name"].startswith("dunghan-notify")
    ]
    assert len(notify) == 4
    for deployment in notify:
        pod = deployment["spec"]["template"]["spec"]
        volume = next(
            v for v in pod["volumes"] if v.get("configMap", {}).get("name") == "dunghan-units"
        )
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
        # A directory mount (no subPath): the kubelet swaps the file in place, the service re-reads.
        assert "subPath" not in mount
        assert path == f"{mount['mountPath']}/units.toml"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_ingest_reads_the_procedure_catalogue_from_a_mounted_configmap(overlay):
    """Without it every portal-format dossier's time limit would be inferred."""
    objects = build(overlay)
    maps = {m["metadata"]["name"]: m for m in of_kind(objects, "ConfigMap")}
    [name] = [n for n in maps if n.startswith("dunghan-procedures-")]  # hashed: a change rolls
    catalogue = maps[name]["data"]["procedures.toml"]
    assert catalogue == (ROOT / "config" / "ingest" / "procedures.toml").read_text(encoding="utf-8")
    path = maps["dunghan-ingest"]["data"]["DUNGHAN_DVCQG_PROCEDURES_FILE"]
    ingest = [
        d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == "dunghan-ingest"
    ]
    assert len(ingest) == 1
    pod = ingest[0]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v.get("configMap", {}).get("name") == name)
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
    assert path == f"{mount['mountPath']}/procedures.toml"

"""deploy/k8s is secured: Kafka users with ACLs over TLS, a database role per service, an HTTPS
ingress for ingest only, scheduled backups, and /metrics behind the scrape token.

Every check reads the overlays as kustomize builds them, and derives what it expects from the
contract (tests/unit/deploy/test_k8s.py builds them; the topics each service reads come from
its ConfigMap, so a service reading a new topic without its ACL fails here).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from dunghan_common.events import topics as contract

from tests.unit.deploy.observability import OVERLAYS, SERVICE_DIRS
from tests.unit.deploy.test_k8s import KUSTOMIZE, build, of_kind

pytestmark = pytest.mark.skipif(KUSTOMIZE is None, reason="run deploy/local/tools.sh")
Objects = tuple[dict[str, Any], ...]

#: docs/contract.md §2: the topics each service writes.
WRITES = {
    "ingest": {contract.DOSSIER_EVENTS, contract.DOSSIER_CONTACTS},
    "sla": {contract.SLA_ALERTS},
    "sync-audit": {contract.AUDIT_FINDINGS},
    "notify": set(),
}
#: The ConfigMap keys naming the topics a service consumes and its consumer group.
READ_KEYS = {
    "sla": (["DUNGHAN_SLA_EVENTS_TOPIC"], "DUNGHAN_SLA_CONSUMER_GROUP"),
    "sync-audit": (
        ["DUNGHAN_AUDIT_DOSSIER_EVENTS_TOPIC", "DUNGHAN_AUDIT_SLA_ALERTS_TOPIC"],
        "DUNGHAN_AUDIT_CONSUMER_GROUP",
    ),
    "notify": (
        [
            "DUNGHAN_NOTIFY_ALERTS_TOPIC",
            "DUNGHAN_NOTIFY_FINDINGS_TOPIC",
            "DUNGHAN_NOTIFY_CONTACTS_TOPIC",
            "DUNGHAN_NOTIFY_EVENTS_TOPIC",
        ],
        "DUNGHAN_NOTIFY_GROUP_ID",
    ),
}
overlays = pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)


def config(objects: Objects, name: str) -> dict[str, str]:
    (found,) = [c for c in of_kind(objects, "ConfigMap") if c["metadata"]["name"] == name]
    return dict(found["data"])


def workloads(objects: Objects, service: str) -> list[dict[str, Any]]:
    """The Deployments and Jobs of one service."""
    return [
        o
        for o in of_kind(objects, "Deployment") + of_kind(objects, "Job")
        if o["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == service
    ]


def env_of(workload: dict[str, Any]) -> dict[str, Any]:
    """A workload's container env: plain values, or (secret, key) for secret references."""
    container = workload["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, Any] = {}
    for e in container["env"]:
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        env[e["name"]] = (ref["name"], ref["key"]) if ref else e.get("value")
    return env


def acls(user: dict[str, Any], operation: str, kind: str) -> set[str]:
    """The resource names a user may apply ``operation`` to."""
    return {
        a["resource"]["name"]
        for a in user["spec"]["authorization"]["acls"]
        if a["resource"]["type"] == kind and operation in a["operations"]
    }


def reads(objects: Objects, service: str) -> tuple[set[str], str | None]:
    """The topics a service consumes and its group, from its ConfigMap."""
    if service not in READ_KEYS:
        return set(), None
    keys, group_key = READ_KEYS[service]
    data = config(objects, f"dunghan-{service}")
    return {data[k] for k in keys}, data[group_key]


@overlays
def test_the_kafka_listener_is_tls_with_scram_and_acls_are_enforced(overlay):
    objects = build(overlay)
    (kafka,) = of_kind(objects, "Kafka")
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners
    for listener in listeners:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] in {"scram-sha-512", "tls"}, listener["name"]
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    common = config(objects, "dunghan-common")
    port = int(common["DUNGHAN_KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])
    assert port in {listener["port"] for listener in listeners}
    assert common["DUNGHAN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert common["DUNGHAN_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    (egress,) = [
        n for n in of_kind(objects, "NetworkPolicy") if n["metadata"]["name"] == "services-egress"
    ]
    to_kafka = [
        p["port"]
        for rule in egress["spec"]["egress"]
        if any("strimzi.io/cluster" in str(t) for t in rule["to"])
        for p in rule["ports"]
    ]
    assert to_kafka == [port]


@overlays
def test_every_service_connects_as_its_own_kafka_user_verifying_the_cluster_ca(overlay):
    objects = build(overlay)
    users = {u["metadata"]["name"] for u in of_kind(objects, "KafkaUser")}
    assert {f"dunghan-{s}" for s in SERVICE_DIRS} <= users
    ca_file = config(objects, "dunghan-common")["DUNGHAN_KAFKA_SSL_CAFILE"]
    for service in SERVICE_DIRS:
        for workload in workloads(objects, service):
            name = workload["metadata"]["name"]
            env = env_of(workload)
            assert env["DUNGHAN_KAFKA_SASL_USERNAME"] == f"dunghan-{service}", name
            assert env["DUNGHAN_KAFKA_SASL_PASSWORD"] == (f"dunghan-{service}", "password"), name
            pod = workload["spec"]["template"]["spec"]
            mounts = pod["containers"][0]["volumeMounts"]
            (mount,) = [m for m in mounts if ca_file == f"{m['mountPath']}/ca.crt"]
            (ca,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
            assert ca["secret"]["secretName"] == "dunghan-cluster-ca-cert", name


@overlays
def test_each_service_writes_only_its_topics_and_its_dead_letters_and_reads_only_its_own(overlay):
    objects = build(overlay)
    users = {u["metadata"]["name"]: u for u in of_kind(objects, "KafkaUser")}
    for service in SERVICE_DIRS:
        user = users[f"dunghan-{service}"]
        consumed, group = reads(objects, service)
        assert acls(user, "Write", "topic") == WRITES[service] | {
            contract.dlq(t) for t in consumed
        }, service
        assert acls(user, "Read", "topic") == consumed, service
        assert acls(user, "Read", "group") == ({group} if group else set()), service
        for acl in user["spec"]["authorization"]["acls"]:
            assert acl["resource"]["name"] != "*", service
            if acl["resource"]["type"] != "transactionalId":
                assert acl["resource"].get("patternType", "literal") == "literal", service
            assert set(acl["operations"]) <= {"Read", "Write", "Describe"}, service
        # Only ingest runs transactions, under ids of its own (prefix `ingest-`).
        expected = {"ingest-"} if service == "ingest" else set()
        assert acls(user, "Write", "transactionalId") == expected, service


@overlays
def test_only_notify_reads_the_contacts_topic(overlay):
    readers = {
        u["metadata"]["name"]
        for u in of_kind(build(overlay), "KafkaUser")
        if contract.DOSSIER_CONTACTS in acls(u, "Read", "topic") | acls(u, "Read", "*")
    }
    assert readers == {"dunghan-notify"}


@overlays
def test_keda_reads_lag_as_a_describe_only_user_over_tls(overlay):
    objects = build(overlay)
    users = {u["metadata"]["name"]: u for u in of_kind(objects, "KafkaUser")}
    keda = users["dunghan-keda"]
    assert {op for a in keda["spec"]["authorization"]["acls"] for op in a["operations"]} == {
        "Describe"
    }
    auths = {a["metadata"]["name"]: a for a in of_kind(objects, "TriggerAuthentication")}
    bootstrap = config(objects, "dunghan-common")["DUNGHAN_KAFKA_BOOTSTRAP_SERVERS"]
    for scaled in of_kind(objects, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["metadata"]["bootstrapServers"] == bootstrap
            assert trigger["metadata"]["tls"] == "enable"
            assert trigger["metadata"]["sasl"] == "scram_sha512"
            auth = auths[trigger["authenticationRef"]["name"]]
            params = {r["parameter"] for r in auth["spec"]["secretTargetRef"]}
            assert params == {"username", "password", "ca"}


@overlays
def test_each_service_has_its_own_database_role_and_database(overlay):
    objects = build(overlay)
    (cluster,) = of_kind(objects, "Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    owners = {d["spec"]["name"]: d["spec"]["owner"] for d in of_kind(objects, "Database")}
    assert set(roles) == {f"dunghan_{s.replace('-', '_')}" for s in SERVICE_DIRS}
    secrets = {role["passwordSecret"]["name"] for role in roles.values()}
    assert len(secrets) == len(roles), "two roles share a password Secret"
    for service in SERVICE_DIRS:
        role = f"dunghan_{service.replace('-', '_')}"
        assert roles[role]["login"] is True
        assert roles[role]["passwordSecret"]["name"] == f"dunghan-pg-{service}"
        for workload in workloads(objects, service):
            env = env_of(workload)
            assert env["PG_USER"] == (f"dunghan-pg-{service}", "username")
            assert env["PG_PASSWORD"] == (f"dunghan-pg-{service}", "password")
            database = env["DUNGHAN_DB_URL"].rsplit("/", 1)[1]
            assert owners[database] == role, workload["metadata"]["name"]
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    assert owners[initdb["database"]] == initdb["owner"]
    assert initdb["secret"]["name"] == roles[initdb["owner"]]["passwordSecret"]["name"]
    assert "dunghan-pg-app" not in str(objects)


@overlays
def test_postgres_is_backed_up_on_a_schedule_with_a_retention(overlay):
    objects = build(overlay)
    (cluster,) = of_kind(objects, "Cluster")
    backup = cluster["spec"]["backup"]
    assert re.fullmatch(r"[1-9][0-9]*[dwm]", backup["retentionPolicy"])
    store = backup["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    for ref in store["s3Credentials"].values():
        assert set(ref) == {"name", "key"}  # references, never values
    assert store["wal"]["compression"]
    (scheduled,) = of_kind(objects, "ScheduledBackup")
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    day, month, weekday = scheduled["spec"]["schedule"].split()[3:]
    assert (day, month, weekday) == ("*", "*", "*"), "at least daily"


@overlays
def test_ingest_alone_is_exposed_through_an_https_ingress(overlay):
    objects = build(overlay)
    (ingress,) = of_kind(objects, "Ingress")
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    tls_hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
    assert all(t["secretName"] for t in ingress["spec"]["tls"])
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    paths = set()
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in tls_hosts
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "dunghan-ingest"
            ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
            assert backend["port"]["name"] in ports
            paths.add((path["path"], path["pathType"]))
    assert paths == {("/v1/events", "Exact"), ("/v1/dvcqg/", "Prefix")}


@overlays
def test_metrics_are_scraped_with_the_token_every_process_checks(overlay):
    objects = build(overlay)
    endpoints = [e for m in of_kind(objects, "ServiceMonitor") for e in m["spec"]["endpoints"]]
    endpoints += [
        e for m in of_kind(objects, "PodMonitor") for e in m["spec"]["podMetricsEndpoints"]
    ]
    for endpoint in endpoints:
        assert endpoint["authorization"] == {
            "type": "Bearer",
            "credentials": {"name": "dunghan-metrics", "key": "token"},
        }
    for service in SERVICE_DIRS:
        for workload in workloads(objects, service):
            env = env_of(workload)
            assert env["DUNGHAN_METRICS_TOKEN_HASH"] == ("dunghan-metrics", "token-hash")

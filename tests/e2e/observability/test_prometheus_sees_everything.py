"""A real Prometheus scrapes the four services while events flow; every query of every dashboard
and every alert expression is then evaluated through its HTTP API.

How a query is judged (see `Query.filters` in tests/unit/deploy/observability.py):
- every query must parse and evaluate (Prometheus answers `success`);
- every metric name it reads must have series in Prometheus (no panel on a metric that does not
  exist, no alert that can never fire);
- a query without a comparison (every dashboard panel but a "below target" count) must also
  return data; a comparison (`x > 0`, every alert) rightly returns nothing while all is well.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from dunghan_common.events import EXAMPLES

from tests.e2e.system import DEV_SOURCE, INGEST_KEY, SERVICES, System, free_port
from tests.unit.deploy.observability import (
    RULE_FILES,
    alert_queries,
    dashboard_queries,
    tool,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
PROMETHEUS = tool("prometheus")
PROMTOOL = tool("promtool")
TZ = dt.timezone(dt.timedelta(hours=7))
QUERY_ROUTES = {
    "sla": "/v1/dossiers",
    "sync-audit": "/v1/escalations",
    "notify": "/v1/notifications",
}


def _event(kind: str, subject: str, at: dt.datetime, **data: Any) -> dict[str, Any]:
    """A copy of the contract's example of a type, about `subject`, at `at`, with a fresh id."""
    event = deepcopy(EXAMPLES[kind])
    event.update(id=str(uuid.uuid4()), subject=subject, time=at.isoformat())
    event["data"].update(data)
    return event


def _traffic() -> list[dict[str, Any]]:
    """A long-overdue dossier (a breach, an escalation), and one finished this month (KPIs)."""
    run = uuid.uuid4().hex[:6]
    old = f"000.00.12.H50-250801-{run}"
    fresh = f"000.00.12.H50-{run}-0002"
    now = dt.datetime.now(TZ)
    received = deepcopy(EXAMPLES["dossier.received"]["data"])
    received.pop("due_at")
    minutes = [now - dt.timedelta(minutes=m) for m in (30, 25, 20, 15, 10, 5)]
    return [
        _event("dossier.received", old, dt.datetime(2025, 8, 1, 10, tzinfo=TZ)),
        _event("portal.sync_failed", old, dt.datetime(2025, 8, 7, 16, 30, tzinfo=TZ)),
        {**_event("dossier.received", fresh, minutes[0]), "data": received},
        _event("portal.sync_succeeded", fresh, minutes[1]),
        _event("payment.completed", fresh, minutes[2]),
        _event("dossier.result_ready", fresh, minutes[3]),
        _event("dossier.result_digitized", fresh, minutes[4]),
        _event("dossier.returned", fresh, minutes[5]),
    ]


def _config(system: System, rules_dir: Path) -> str:
    jobs = [
        {
            "job_name": f"dunghan-{s}",
            "static_configs": [{"targets": [f"127.0.0.1:{system.ports[s]}"]}],
        }
        for s in SERVICES
    ]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules_dir / "*.yml")],
        "scrape_configs": jobs,
    }
    return yaml.safe_dump(config)


def _start(system: System, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start Prometheus with a generated config (the repository's rule files loaded)."""
    (home / "prometheus.yml").write_text(_config(system, RULE_FILES[0].parent))
    port = free_port()
    with (home / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return proc, port


def _tail(home: Path) -> str:
    return (home / "prometheus.log").read_text(errors="replace")[-3000:]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def prometheus(running_system: System, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    """Debian's Prometheus on a free port, scraping the running system every second."""
    if PROMETHEUS is None:
        pytest.skip("prometheus missing: run deploy/local/tools.sh")
    home = tmp_path_factory.mktemp("prometheus")
    proc, port = _start(running_system, home)
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0)
    try:
        await _wait_ready(client, proc, home)
        yield client
    finally:
        await client.aclose()
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)


async def _wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], home: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, _tail(home)
        try:
            if (await client.get("/-/ready")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError(_tail(home))


async def _push(system: System) -> None:
    """Valid events, a request with an invalid event, one with a wrong key, and some queries."""
    headers = {"Authorization": f"Bearer {INGEST_KEY}"}
    async with system.client("ingest", token=None) as ingest:
        accepted = await ingest.post("/v1/events", json=_traffic(), headers=headers)
        assert accepted.status_code == 202, accepted.text
        bad = _event("dossier.submitted", "000.00.12.H50-x", dt.datetime.now(TZ), channel="fax")
        invalid = await ingest.post("/v1/events", json=[bad], headers=headers)
        assert invalid.status_code == 422, invalid.text
        wrong = await ingest.post("/v1/events", json=[bad], headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
    assert bad["source"] == DEV_SOURCE
    for service, route in QUERY_ROUTES.items():
        async with system.client(service) as client:
            assert (await client.get(route)).status_code == 200
    async with system.client("sync-audit") as audit:  # the points at stake need an answer
        stored = await audit.put("/v1/portal-index/2025-08", json=_portal_answer())
        assert stored.status_code == 200, stored.text


def _portal_answer() -> dict[str, Any]:
    """The portal's index answer of August 2025: the old dossier's unit, counted overdue."""
    unit = {
        "departmentCode": "H50.12",
        "departmentName": "Sở Xây dựng",
        "level": "PROVINCE",
        "totalReceived": 1,
        "totalOnTime": 0,
        "totalOverdue": 1,
        "ratio": 0,
        "score": 0,
        "maxScore": 20,
    }
    return {"code": "OK", "data": {"parent": {**unit, "departmentCode": "H50"}, "children": [unit]}}


async def _names(client: httpx.AsyncClient) -> set[str]:
    body = (await client.get("/api/v1/label/__name__/values")).json()
    return set(body["data"])


async def _query(client: httpx.AsyncClient, expr: str) -> list[Any]:
    response = await client.get("/api/v1/query", params={"query": expr})
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"
    result: list[Any] = body["data"]["result"]
    return result


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scraped(running_system: System, prometheus: httpx.AsyncClient) -> httpx.AsyncClient:
    """Prometheus once every metric the boards and alerts read has series (or 90 s have passed).

    The sla gauges refresh every 15 s, so the KPI series appear one refresh after the events.
    """
    await _push(running_system)
    wanted = set().union(*(q.metrics for q in [*dashboard_queries(), *alert_queries()]))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not wanted <= await _names(prometheus):
        await asyncio.sleep(1)
    await asyncio.sleep(3)  # a few more scrapes, so that rate() has two samples everywhere
    return prometheus


async def test_every_service_is_scraped(scraped):
    up = await _query(scraped, 'up{job=~"dunghan-.*"}')
    assert {r["metric"]["job"]: r["value"][1] for r in up} == {
        f"dunghan-{s}": "1" for s in SERVICES
    }


async def test_every_metric_a_board_or_an_alert_reads_exists(scraped):
    names = await _names(scraped)
    missing = {
        q.origin: sorted(q.metrics - names) for q in [*dashboard_queries(), *alert_queries()]
    }
    assert {k: v for k, v in missing.items() if v} == {}


async def test_every_dashboard_query_evaluates_and_shows_data(scraped):
    empty = {}
    for query in dashboard_queries():
        result = await _query(scraped, query.expr)
        if not result and not query.filters:
            # Say what Prometheus does hold for the metrics, to tell a label from a timing issue.
            held = [
                await _query(scraped, f"count by (job, route, status) ({m})") for m in query.metrics
            ]
            empty[query.origin] = held
    assert empty == {}, "panels that would show no data"


async def test_every_alert_expression_evaluates(scraped):
    for query in alert_queries():
        await _query(scraped, query.expr)
        assert query.filters, f"{query.origin} compares nothing: it would always fire"


async def test_prometheus_loaded_every_rule_group(scraped):
    groups = (await scraped.get("/api/v1/rules")).json()["data"]["groups"]
    assert len(groups) == sum(len(yaml.safe_load(p.read_text())["groups"]) for p in RULE_FILES)
    assert all(g["rules"] and all(r["health"] != "err" for r in g["rules"]) for g in groups)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool missing: run deploy/local/tools.sh")
@pytest.mark.parametrize("service", SERVICES)
async def test_promtool_check_metrics_is_clean(running_system, scraped, service):
    async with running_system.client(service, token=None) as client:
        text = (await client.get("/metrics")).text
    done = await asyncio.to_thread(_check_metrics, text)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stdout.strip(), done.stdout


def _check_metrics(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROMTOOL), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )

"""Getting the portal's answer in: the scheduled fetch against a local stand-in of the portal's
index API (serving a saved answer), and the import command for a saved answer file."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from dunghan_common.db.migrations import upgrade
from sync_audit.adapters.portal_index import PortalIndexClient, fetch_once
from sync_audit.settings import PortalIndexSettings

from tests.integration.sync_audit.harness import MIGRATIONS, Harness, running
from tests.integration.sync_audit.test_index_gap import portal_department

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[3]
SAVED = {
    "code": "OK",
    "data": {
        "parent": {**portal_department("H50", 600, 490), "totalScore": 0, "totalMaxScore": 20},
        "children": [portal_department("H50.12", 588, 486), portal_department("H50.01", 12, 4)],
    },
}


@pytest_asyncio.fixture(loop_scope="session")
async def audit(fresh_database: str, topic_factory) -> AsyncIterator[Harness]:
    async with running(fresh_database, topic_factory, "2025-09-02T10:00:00+07:00") as h:
        yield h


@pytest.fixture
def portal() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in of the portal's index API: answers 201 with the saved answer, keeps requests."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
            payload = json.dumps(SAVED).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_the_scheduled_fetch_sends_the_portal_s_request_and_stores_its_answer(
    audit: Harness, portal: tuple[str, list[dict[str, Any]]]
) -> None:
    base, seen = portal
    url = f"{base}/api/v1/reporting/evaluation/dvc-progress-tree"
    settings = PortalIndexSettings(
        url=url, root_department_id="qt-root-42", token="portal-token", fetch_interval_s=3600
    )
    now = dt.datetime(2025, 9, 2, 3, tzinfo=dt.UTC)
    async with httpx.AsyncClient() as http:
        stored = await fetch_once(PortalIndexClient(settings, http), audit.c.index, now, 1)
    assert stored == 2
    assert seen == [
        {
            "path": "/api/v1/reporting/evaluation/dvc-progress-tree",
            "auth": "Bearer portal-token",
            "rootDepartmentId": "qt-root-42",
            "currentPage": 1,
            "pageSize": 100,
            "timeType": "month",
            "year": 2025,
            "month": month,
        }
        for month in (8, 9)
    ]
    gap = (await audit.get("/v1/index-gap", params={"period": "2025-08"})).json()
    sxd = next(u for u in gap["units"] if u["unit_code"] == "000.00.12.H50")
    assert sxd["portal"] == {
        "received": 588,
        "on_time": 486,
        "overdue": 102,
        "ratio": 82.65,
        "score": 16.53,
    }


async def test_the_import_command_stores_a_saved_answer_and_refuses_a_malformed_one(
    fresh_database: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    saved = tmp_path / "dvc-progress-2025-08.json"
    saved.write_text(
        json.dumps(
            SAVED
            | {
                "data": {
                    **SAVED["data"],
                    "children": [*SAVED["data"]["children"], portal_department("H50.77.77", 3, 3)],
                }
            }
        )
    )
    env = {**os.environ, "DUNGHAN_DB_URL": fresh_database, "DUNGHAN_ENV": "test"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "sync_audit", "import-index", *args]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    done = await asyncio.to_thread(run, "2025-08", str(saved))
    assert done.returncode == 0, done.stderr
    assert "3 departments, 2 matched to units, unmatched: H50.77.77" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"code": "OK", "data": {"parent": {}, "children": [{"totalReceived": -3}]}})
    )
    done = await asyncio.to_thread(run, "2025-07", str(bad))
    assert done.returncode == 1
    assert "data.children[0].totalReceived: must not be negative" in done.stderr
    assert "nothing stored" in done.stderr

"""Checks shared by the worker-role tests: which roles exist, what their ops app serves."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import httpx
from fastapi import FastAPI

#: Roles that are not long-running workers: the API serves its own probes, `run` is the full API,
#: `migrate`, `replay-dead-letters` and `reseal` do their work and exit.
NOT_WORKERS = {"api", "run", "migrate", "replay-dead-letters", "reseal"}
OPS_ROUTES = {"/healthz", "/readyz", "/metrics"}


def dispatched_roles(entry: ModuleType) -> set[str]:
    """The roles ``python -m <service>`` dispatches (the keys of its ``main({...})`` call)."""
    tree = ast.parse(Path(str(entry.__file__)).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "main":
            assert isinstance(node.args[0], ast.Dict)
            return {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
    raise AssertionError("no main({...})")


async def probe_ops_app(app: FastAPI, checks: set[str]) -> str:
    """Assert the ops app serves only the probes, unready on ``checks``; its metrics text."""
    assert {getattr(r, "path", "") for r in app.routes} == OPS_ROUTES
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert set(ready.json()["checks"]) == checks
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert (await client.get("/openapi.json")).status_code == 404
        return metrics.text

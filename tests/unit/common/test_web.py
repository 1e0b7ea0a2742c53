"""The shared application frame: probes, metrics and JSON errors."""

from __future__ import annotations

import httpx
import pytest
from dunghan_common.metrics import new_registry
from dunghan_common.web import create_app
from pydantic import BaseModel

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Body(BaseModel):
    n: int


def build(ready: bool) -> httpx.AsyncClient:
    async def kafka() -> None:
        if not ready:
            raise ConnectionError("broker down")

    app = create_app("t", new_registry("t"), readiness=[("kafka", kafka)])

    @app.post("/echo")
    async def echo(body: Body) -> dict[str, int]:
        return {"n": body.n}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_probes_and_metrics() -> None:
    async with build(ready=True) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"kafka": "ok"}
        await client.post("/echo", json={"n": 1})
        text = (await client.get("/metrics")).text
        assert 'dunghan_http_request_duration_seconds_count{method="POST",route="/echo"' in text


async def test_readiness_fails_while_a_dependency_is_down_but_health_holds() -> None:
    async with build(ready=False) as client:
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["kafka"] == "unavailable: ConnectionError"


async def test_validation_errors_name_the_field() -> None:
    async with build(ready=True) as client:
        answer = await client.post("/echo", json={"n": "x"})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "n"

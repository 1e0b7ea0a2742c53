"""Every route of ingest, ``POST /v1/events`` included, is timed by the shared histogram."""

from __future__ import annotations

import httpx
import pytest
from ingest.bootstrap import build
from ingest.settings import IngestSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

METRIC = "dunghan_http_request_duration_seconds_count"


async def test_shared_histogram_times_every_route_with_bounded_labels() -> None:
    service = build(IngestSettings(env="test"))  # nothing connects: these requests need no I/O
    transport = httpx.ASGITransport(app=service.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        assert (await client.post("/v1/events", content=b"{}")).status_code == 401
        assert (await client.post("/v1/events", content=b"{}")).status_code == 401
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/no/such/page-123")).status_code == 404
        assert (await client.request("BREW", "/healthz")).status_code == 405
        text = (await client.get("/metrics")).text
    assert f'{METRIC}{{method="POST",route="/v1/events",status="4xx"}} 2.0' in text
    assert f'{METRIC}{{method="GET",route="/healthz",status="2xx"}} 1.0' in text
    assert f'{METRIC}{{method="GET",route="unmatched",status="4xx"}} 1.0' in text
    assert 'method="other"' in text
    assert "page-123" not in text
    assert "BREW" not in text
    assert "dunghan_ingest_request_duration_seconds" not in text


async def test_a_push_with_a_query_takes_the_apps_path_and_its_nul_refusal() -> None:
    service = build(IngestSettings(env="test"))
    transport = httpx.ASGITransport(app=service.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        refused = await client.post("/v1/events?x=%00", content=b"{}")
        unauthenticated = await client.post("/v1/events?x=1", content=b"{}")
    assert refused.status_code == 400
    assert unauthenticated.status_code == 401  # the same endpoint, reached through FastAPI


async def test_an_error_escaping_the_endpoint_answers_a_json_500_and_is_timed() -> None:
    from ingest.adapters.http import HotRoute
    from prometheus_client import CollectorRegistry, Histogram

    async def broken(_request: object) -> None:
        raise RuntimeError("bug")

    registry = CollectorRegistry()
    latency = Histogram("t_seconds", "t", ["route", "method", "status"], registry=registry)
    service = build(IngestSettings(env="test"))
    hot = HotRoute(service.app, broken, latency)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=hot)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
        response = await client.post("/v1/events", content=b"{}")
    assert (response.status_code, response.json()) == (500, {"detail": "internal error"})
    labels = {"route": "/v1/events", "method": "POST", "status": "5xx"}
    assert registry.get_sample_value("t_seconds_count", labels) == 1.0

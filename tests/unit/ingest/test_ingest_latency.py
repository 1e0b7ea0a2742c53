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
    transport = httpx.ASGITransport(app=service.app)
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

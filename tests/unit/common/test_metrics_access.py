"""`/metrics` answers anyone by default (the local stack) and only its token once one is set."""

from __future__ import annotations

import httpx
import pytest
from dunghan_common.metrics import new_registry
from dunghan_common.settings import MetricsSettings, hash_secret
from dunghan_common.web import create_app, create_ops_app

ASYNC = pytest.mark.asyncio(loop_scope="session")
TOKEN = "scrape-token"


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@ASYNC
async def test_without_a_token_hash_metrics_are_open() -> None:
    async with client(create_app("t", new_registry("t"), readiness=[])) as open_app:
        answer = await open_app.get("/metrics")
    assert answer.status_code == 200
    assert "dunghan_build_info" in answer.text


@ASYNC
@pytest.mark.parametrize("build", [create_app, create_ops_app])
async def test_with_a_token_hash_only_the_token_reads_metrics(build) -> None:
    settings = MetricsSettings(token_hash=hash_secret(TOKEN))
    app = build("t", new_registry("t"), [], metrics=settings)
    async with client(app) as guarded:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = await guarded.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert "dunghan_" not in refused.text
        answer = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert "dunghan_build_info" in answer.text
        assert (await guarded.get("/healthz")).status_code == 200  # probes stay open


def test_the_token_is_configured_as_its_hash(monkeypatch) -> None:
    monkeypatch.setenv("DUNGHAN_METRICS_TOKEN_HASH", hash_secret(TOKEN))
    assert MetricsSettings().token_hash == hash_secret(TOKEN)
    monkeypatch.setenv("DUNGHAN_METRICS_TOKEN_HASH", TOKEN)
    with pytest.raises(ValueError):
        MetricsSettings()

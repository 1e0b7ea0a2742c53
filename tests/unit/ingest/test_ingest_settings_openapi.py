"""Settings refuse placeholders outside development; the OpenAPI documents every type and code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dunghan_common.events import EXAMPLES
from dunghan_common.settings import DEV_INGEST_KEY, hash_secret
from ingest.bootstrap import build
from ingest.domain.sources import SourceConfig
from ingest.settings import IngestApiSettings, IngestSettings

DEV = SourceConfig(id="igate-quangtri", key_hashes=[hash_secret(DEV_INGEST_KEY)])


def test_placeholder_key_is_refused_in_production() -> None:
    settings = IngestSettings(env="production", api=IngestApiSettings(sources=[DEV]))
    with pytest.raises(ValueError, match="placeholder"):
        settings.all_sources()


def test_development_falls_back_to_the_dev_key() -> None:
    sources = IngestSettings(env="development", api=IngestApiSettings()).all_sources()
    assert [s.id for s in sources] == ["igate-quangtri"]
    assert IngestSettings(env="production", api=IngestApiSettings()).all_sources() == []


def test_sources_from_the_environment_and_the_development_file(monkeypatch) -> None:
    monkeypatch.setenv(
        "DUNGHAN_INGEST_SOURCES",
        json.dumps([{"id": "x", "key_hashes": [hash_secret("k")], "signing_secrets": ["s"]}]),
    )
    path = Path(__file__).resolve().parents[3] / "config" / "ingest" / "sources.dev.json"
    monkeypatch.setenv("DUNGHAN_INGEST_SOURCES_FILE", str(path))
    monkeypatch.setenv("DUNGHAN_ENV", "development")
    sources = IngestSettings().all_sources()
    assert [s.id for s in sources] == ["x", "igate-quangtri"]
    assert sources[1].key_hashes == [hash_secret(DEV_INGEST_KEY)]


def test_openapi_documents_every_event_type_and_response() -> None:
    app = build(IngestSettings(env="test")).app
    operation = app.openapi()["paths"]["/v1/events"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
        "application/json",
        "application/x-ndjson",
    }
    assert set(content["application/cloudevents+json"]["examples"]) == set(EXAMPLES)
    codes = {"202", "400", "401", "403", "413", "415", "422", "429", "503"}
    assert codes <= set(operation["responses"])
    assert "CloudEvent" in app.openapi()["components"]["schemas"]


def test_producer_does_not_linger_unless_configured(monkeypatch) -> None:
    monkeypatch.delenv("DUNGHAN_KAFKA_LINGER_MS", raising=False)
    assert IngestSettings().kafka.linger_ms == 0
    monkeypatch.setenv("DUNGHAN_KAFKA_LINGER_MS", "7")
    assert IngestSettings().kafka.linger_ms == 7


def test_transactional_id_is_stable_per_process_and_distinct_per_worker(monkeypatch) -> None:
    import socket

    from ingest.settings import transactional_id

    host = socket.gethostname()
    first = IngestSettings(env="test", http_port=8000, api=IngestApiSettings())
    monkeypatch.setenv("DUNGHAN_INGEST_WORKER_INDEX", "1")
    second = IngestSettings(env="test", http_port=8000, api=IngestApiSettings())
    assert transactional_id(first) == f"ingest-{host}-8000-0"
    assert transactional_id(second) == f"ingest-{host}-8000-1"
    assert IngestApiSettings().transactions  # on unless turned off to measure their cost

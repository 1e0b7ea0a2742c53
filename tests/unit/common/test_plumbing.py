"""Settings, logging redaction, metric naming and token checks of the shared library."""

from __future__ import annotations

import json
import logging

import pytest
from dunghan_common.auth import token_dependency, unit_scope
from dunghan_common.fakes import FakePublisher
from dunghan_common.kafka import OutgoingRecord, PublishError
from dunghan_common.logs import JsonFormatter, redact
from dunghan_common.metrics import check_metric_name, new_registry
from dunghan_common.settings import (
    DEV_INGEST_KEY,
    DEV_OPS_TOKEN,
    ApiToken,
    AuthSettings,
    Environment,
    Role,
    hash_secret,
    refuse_placeholders,
    secret_matches,
)
from fastapi import HTTPException
from starlette.requests import Request


def request_with(auth: str | None) -> Request:
    headers = [] if auth is None else [(b"authorization", auth.encode())]
    return Request({"type": "http", "headers": headers, "method": "GET", "path": "/"})


def test_placeholder_secrets_are_refused_outside_development() -> None:
    hashes = [hash_secret(DEV_OPS_TOKEN)]
    refuse_placeholders(Environment.DEVELOPMENT, hashes, "auth")
    refuse_placeholders(Environment.TEST, hashes, "auth")
    with pytest.raises(ValueError, match="placeholder"):
        refuse_placeholders(Environment.PRODUCTION, hashes, "auth")
    with pytest.raises(ValueError, match="placeholder"):
        refuse_placeholders(Environment.PRODUCTION, [hash_secret(DEV_INGEST_KEY)], "ingest")
    refuse_placeholders(Environment.PRODUCTION, [hash_secret("a-real-long-secret")], "auth")


def test_secret_comparison_uses_the_stored_hash() -> None:
    stored = hash_secret("k1")
    assert secret_matches("k1", stored)
    assert not secret_matches("k2", stored)


def test_tokens_come_from_json_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = [{"token_hash": hash_secret("t-unit"), "role": "unit", "unit_code": "000.00.12.H50"}]
    monkeypatch.setenv("DUNGHAN_AUTH_TOKENS", json.dumps(tokens))
    found = AuthSettings().find("t-unit")
    assert found is not None
    assert found.role is Role.UNIT
    assert AuthSettings().find("other") is None


def test_a_unit_token_needs_its_unit() -> None:
    with pytest.raises(ValueError, match="unit_code"):
        ApiToken(token_hash=hash_secret("x"), role=Role.UNIT)


def test_bearer_dependency_answers_401_and_403() -> None:
    settings = AuthSettings(
        tokens=[
            ApiToken(token_hash=hash_secret("ops"), role=Role.OPS),
            ApiToken(token_hash=hash_secret("dost"), role=Role.DOST),
        ]
    )
    require = token_dependency(settings, roles=[Role.OPS])
    assert require(request_with("Bearer ops")).role is Role.OPS
    for bad in (None, "Basic abc", "Bearer ", "Bearer nope"):
        with pytest.raises(HTTPException) as err:
            require(request_with(bad))
        assert err.value.status_code == 401
    with pytest.raises(HTTPException) as err:
        require(request_with("Bearer dost"))
    assert err.value.status_code == 403


def test_unit_scope_limits_unit_tokens_to_their_unit() -> None:
    unit = ApiToken(token_hash=hash_secret("u"), role=Role.UNIT, unit_code="U1")
    ops = ApiToken(token_hash=hash_secret("o"), role=Role.OPS)
    assert unit_scope(unit, None) == "U1"
    assert unit_scope(unit, "U1") == "U1"
    assert unit_scope(ops, None) is None
    assert unit_scope(ops, "U2") == "U2"
    with pytest.raises(HTTPException):
        unit_scope(unit, "U2")


def test_logs_are_json_and_drop_personal_fields() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "accepted %d", (3,), None)
    record.applicant = {"name": "Nguyễn Văn A", "phone": "0912345678"}
    record.detail = {"email": "a@example.vn", "unit_code": "000.00.12.H50"}
    line = JsonFormatter("ingest").format(record)
    parsed = json.loads(line)
    assert parsed["msg"] == "accepted 3"
    assert parsed["service"] == "ingest"
    for personal in ("Nguyễn", "0912345678", "a@example.vn"):
        assert personal not in line
    assert parsed["detail"]["unit_code"] == "000.00.12.H50"
    assert redact([{"name": "x"}]) == [{"name": "[redacted]"}]


@pytest.mark.parametrize(
    ("name", "kind", "labels"),
    [
        ("events_total", "counter", ()),
        ("dunghan_events", "counter", ()),
        ("dunghan_lag_total", "gauge", ()),
        ("dunghan_sent_total", "counter", ("dossier_id",)),
        ("dunghan_Bad_total", "counter", ()),
    ],
)
def test_metric_names_breaking_the_conventions_are_refused(
    name: str, kind: str, labels: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match=r"metric|counter|gauge"):
        check_metric_name(name, kind, labels)


def test_registry_exposes_build_info() -> None:
    registry = new_registry("sla")
    assert registry.get_sample_value("dunghan_build_info", {"service": "sla", "version": "0.1.0"})
    check_metric_name("dunghan_http_request_duration_seconds", "histogram", ("route",))


@pytest.mark.asyncio(loop_scope="session")
async def test_fake_publisher_keeps_batches_and_fails_when_down() -> None:
    publisher = FakePublisher()
    await publisher.publish([OutgoingRecord("a", b"1"), OutgoingRecord("b", b"2")])
    assert [r.value for r in publisher.on("a")] == [b"1"]
    publisher.down = True
    with pytest.raises(PublishError):
        await publisher.publish([OutgoingRecord("a", b"3")])
    assert len(publisher.records) == 2


def test_settle_heap_freezes_startup_objects_and_raises_the_young_threshold() -> None:
    import gc

    from dunghan_common.runtime import GC_YOUNG_THRESHOLD, settle_heap

    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_batch_window_makes_the_broker_gather_before_answering() -> None:
    from dunghan_common.settings import BATCH_WINDOW_MIN_BYTES, KafkaSettings, with_batch_window

    base = KafkaSettings(consumer_fetch_max_wait_ms=50)
    windowed = with_batch_window(base, 20)
    assert windowed.consumer_fetch_max_wait_ms == 20
    assert windowed.consumer_fetch_min_bytes == BATCH_WINDOW_MIN_BYTES
    assert with_batch_window(base, 0) == base  # no window: answer as soon as data waits
    assert base.consumer_fetch_min_bytes == 1

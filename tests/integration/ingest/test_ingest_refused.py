"""A record Kafka refuses fails only the request carrying it, not another source's request that
shared its flush (one transaction): the flush is done again one request at a time."""

from __future__ import annotations

import asyncio
import copy
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from dunghan_common.events import EXAMPLES

from tests import support
from tests.integration.ingest.conftest import OTHER_KEY, Factory, RunningIngest, read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

#: The events topic takes record batches up to this size: a plain event fits, one with a long
#: ``dataschema`` (2,000 characters, valid for ingest) does not.
TOPIC_LIMIT = 1_500


def _event(source: str = "igate-quangtri", schema: str | None = None) -> dict[str, object]:
    raw = copy.deepcopy(EXAMPLES["dossier.submitted"])
    raw["id"] = str(uuid.uuid4())
    raw["source"] = source
    raw["subject"] = f"000.00.12.H50-250801-{uuid.uuid4().int % 10_000:04d}"
    if schema is not None:
        raw["dataschema"] = schema
    return raw


async def _limit_topic(topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=support.kafka_bootstrap())
    await admin.start()
    try:
        limit = {"max.message.bytes": str(TOPIC_LIMIT)}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, limit)])
    finally:
        await admin.close()


def _flushes(app: RunningIngest) -> float:
    name = "dunghan_ingest_kafka_produce_duration_seconds_count"
    return app.service.registry.get_sample_value(name) or 0.0


async def test_a_refused_record_fails_its_request_alone(ingest_factory: Factory) -> None:
    app = await ingest_factory(max_concurrent_flushes=1)
    await _limit_topic(app.events_topic)
    too_big = "https://schemas.example.vn/" + "x" * 1_900
    accepted: list[str] = []
    joint = 0
    for _ in range(5):  # until the two requests shared a flush at least once
        first, bad, good = _event(), _event(schema=too_big), _event(source="other-src")
        before = _flushes(app)
        blocker, refused, ok = await asyncio.gather(
            app.post(first),  # its flush runs while the two others queue behind it
            app.post(bad),
            app.post(good, Authorization=f"Bearer {OTHER_KEY}"),
        )
        assert blocker.status_code == 202, blocker.text
        assert refused.status_code == 413, refused.text
        assert "MessageSizeTooLarge" in refused.json()["detail"]
        assert "retry-after" not in refused.headers
        assert ok.status_code == 202, ok.text
        assert ok.json()["accepted"] == 1
        accepted += [str(first["id"]), str(good["id"])]
        # Blocker, the joint flush refused, then each request alone: four publishes.
        joint += _flushes(app) - before == 4
        if joint:
            break
    assert joint, "the refused and the good request never shared a flush"
    records = await read_topic(app.events_topic, len(accepted), timeout_s=5)
    seen = {dict(r.headers)["ce_id"].decode() for r in records}
    assert set(accepted) <= seen
    assert not any(dict(r.headers).get("ce_dataschema") for r in records)

"""The published AsyncAPI document matches the event models."""

from __future__ import annotations

import json
from pathlib import Path

from dunghan_common.asyncapi import document
from dunghan_common.events import EVENT_TYPES
from dunghan_common.events.topics import TOPICS, dlq

DOC = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"


def test_committed_document_is_current() -> None:
    committed = json.loads(DOC.read_text())
    assert committed == json.loads(json.dumps(document())), (
        "regenerate: python -m dunghan_common.asyncapi > docs/asyncapi.json"
    )


def test_every_event_type_has_a_message_and_every_ref_resolves() -> None:
    doc = document()
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names >= EVENT_TYPES
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node = doc
        for step in ref.removeprefix("#/").split("/"):
            node = node[step]
        assert node


def test_every_topic_has_a_sender_a_receiver_and_a_dead_letter_channel() -> None:
    doc = document()
    for topic in TOPICS:
        channels = {c["address"]: key for key, c in doc["channels"].items()}
        assert dlq(topic) in channels, topic
        actions = {
            op["action"]
            for op in doc["operations"].values()
            if op["channel"]["$ref"] == f"#/channels/{channels[topic]}"
        }
        assert actions == {"send", "receive"}, topic


def test_every_receiver_dead_letters_what_it_cannot_process() -> None:
    ops = document()["operations"].values()
    received = {
        (op["tags"][0]["name"], op["channel"]["$ref"]) for op in ops if op["action"] == "receive"
    }
    dead = {(op["tags"][0]["name"], op["channel"]["$ref"]) for op in ops if op["action"] == "send"}
    assert {(svc, ref + "_dlq") for svc, ref in received} <= dead


def test_each_service_of_the_system_has_operations_on_its_own_channel_messages() -> None:
    doc = document()
    services = {op["tags"][0]["name"] for op in doc["operations"].values()}
    assert services == {"ingest", "sla", "sync-audit", "notify"}
    for name, op in doc["operations"].items():
        channel = op["channel"]["$ref"]
        assert op["messages"], name
        assert all(m["$ref"].startswith(channel + "/messages/") for m in op["messages"]), name

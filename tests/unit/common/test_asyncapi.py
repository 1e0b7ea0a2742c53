"""The published AsyncAPI document matches the event models."""

from __future__ import annotations

import json
from pathlib import Path

from dunghan_common.asyncapi import document
from dunghan_common.events import EVENT_TYPES

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

"""The AsyncAPI document of the project's topics, built from the event models themselves.

``python -m dunghan_common.asyncapi > docs/asyncapi.json`` regenerates the published document; a
unit test keeps the committed file equal to what the models say.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel

from dunghan_common.events import TOPIC_DATA_MODELS, DossierContact
from dunghan_common.events.findings import ALERT_MODELS
from dunghan_common.events.topics import (
    AUDIT_FINDINGS,
    DOSSIER_CONTACTS,
    DOSSIER_EVENTS,
    SLA_ALERTS,
)

_CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "unique per source"},
        "ce_source": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "the dossier code"},
        "content-type": {"const": "application/json"},
    },
}


def _message(
    name: str, model: type[BaseModel], summary: str, schemas: dict[str, Any]
) -> dict[str, Any]:
    payload = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(payload.pop("$defs", {}))
    return {
        "name": name,
        "title": name,
        "summary": summary,
        "contentType": "application/json",
        "headers": _CE_HEADERS,
        "payload": payload,
    }


def _key(name: str) -> str:
    return name.replace(".", "_")


def document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document."""
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    channel_msgs: dict[str, dict[str, Any]] = {
        DOSSIER_EVENTS: {},
        SLA_ALERTS: {},
        AUDIT_FINDINGS: {},
        DOSSIER_CONTACTS: {},
    }
    for event_type, model in sorted(TOPIC_DATA_MODELS.items()):
        messages[_key(event_type)] = _message(
            event_type, model, f"`{event_type}` from a source", schemas
        )
        channel_msgs[DOSSIER_EVENTS][_key(event_type)] = {
            "$ref": f"#/components/messages/{_key(event_type)}"
        }
    for event_type, amodel in sorted(ALERT_MODELS.items()):
        topic = SLA_ALERTS if event_type.startswith("sla.") else AUDIT_FINDINGS
        messages[_key(event_type)] = _message(event_type, amodel, f"`{event_type}`", schemas)
        channel_msgs[topic][_key(event_type)] = {
            "$ref": f"#/components/messages/{_key(event_type)}"
        }
    contact = _message(
        "dossier.contact", DossierContact, "applicant contact (personal data)", schemas
    )
    del contact["headers"]
    messages["dossier_contact"] = contact
    channel_msgs[DOSSIER_CONTACTS]["dossier_contact"] = {
        "$ref": "#/components/messages/dossier_contact"
    }
    descriptions = {
        DOSSIER_EVENTS: "Every accepted event, CloudEvents binary mode, data.applicant removed. "
        "Key: the dossier code (or the component for system events without subject).",
        DOSSIER_CONTACTS: "Applicant contacts split out of dossier.received. Compacted, "
        "restricted, finite retention. Key: the dossier code.",
        SLA_ALERTS: "Timers and flags of the sla service. Key: the dossier code.",
        AUDIT_FINDINGS: "Attributions and escalations of sync-audit. Key: the dossier code.",
    }
    channels = {
        _key(topic): {"address": topic, "description": descriptions[topic], "messages": msgs}
        for topic, msgs in channel_msgs.items()
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Đúng Hạn topics",
            "version": "0.1.0",
            "description": "Kafka topics of Đúng Hạn (docs/contract.md §2). Each topic has a "
            "`<topic>.dlq` dead-letter topic whose messages keep the original headers and add "
            "dlq_error, dlq_topic, dlq_partition, dlq_offset, dlq_group, dlq_failed_at.",
        },
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def main() -> None:
    """Print the document as JSON."""
    json.dump(document(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

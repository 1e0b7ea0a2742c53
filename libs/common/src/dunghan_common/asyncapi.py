"""The AsyncAPI document of the project's topics, built from the event models themselves.

Channels are the topics of docs/contract.md §2 and their dead-letter topics; operations say which
service sends to and receives from each (`FLOWS`), and which messages of the channel it handles.

``python -m dunghan_common.asyncapi > docs/asyncapi.json`` regenerates the published document; a
unit test keeps the committed file equal to what the models say.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from dunghan_common.events import TOPIC_DATA_MODELS, DossierContact, OfficialContact
from dunghan_common.events.event_types import (
    DOSSIER_ASSIGNED,
    DOSSIER_RECEIVED,
    DOSSIER_RESCHEDULED,
    DOSSIER_TRANSFERRED,
)
from dunghan_common.events.findings import ALERT_MODELS
from dunghan_common.events.topics import (
    AUDIT_FINDINGS,
    DOSSIER_CONTACTS,
    DOSSIER_EVENTS,
    SLA_ALERTS,
    TOPICS,
    dlq,
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


@dataclass(frozen=True)
class Flow:
    """One service sending to or receiving from one topic: an AsyncAPI operation."""

    service: str
    action: Literal["send", "receive"]
    topic: str
    summary: str
    #: The event types it handles; None: every message of the channel.
    types: tuple[str, ...] | None = None


#: Who writes and who reads each topic (docs/contract.md §2). Every receiver also sends the
#: records it cannot process to the topic's dead-letter topic.
FLOWS: tuple[Flow, ...] = (
    Flow("ingest", "send", DOSSIER_EVENTS, "Every accepted event, applicant and names removed."),
    Flow("ingest", "send", DOSSIER_CONTACTS, "The contacts split off the accepted events."),
    Flow("sla", "receive", DOSSIER_EVENTS, "Projects every event into its dossier's clock."),
    Flow("sla", "send", SLA_ALERTS, "Timers, ends of processing, revised verdicts, flags."),
    Flow("sync-audit", "receive", DOSSIER_EVENTS, "The province's and the portal's views."),
    Flow("sync-audit", "receive", SLA_ALERTS, "sla's verdicts, which attribution waits for."),
    Flow("sync-audit", "send", AUDIT_FINDINGS, "Attributions and escalations to DOST."),
    Flow("notify", "receive", SLA_ALERTS, "Reminders and apology letters."),
    Flow("notify", "receive", AUDIT_FINDINGS, "The causes letters state; DOST's notices."),
    Flow("notify", "receive", DOSSIER_CONTACTS, "Contacts, kept encrypted for the letters."),
    Flow(
        "notify",
        "receive",
        DOSSIER_EVENTS,
        "The letter's facts (received), the unit's new date (rescheduled), the processing unit "
        "and official (transferred, assigned); others skipped.",
        (DOSSIER_RECEIVED, DOSSIER_RESCHEDULED, DOSSIER_TRANSFERRED, DOSSIER_ASSIGNED),
    ),
)
_DESCRIPTIONS = {
    DOSSIER_EVENTS: "Every accepted event, CloudEvents binary mode (ce_* headers), data.applicant "
    "removed and every assignee reduced to its id. Key: the dossier code (or the component for "
    "system events without subject).",
    DOSSIER_CONTACTS: "Personal contact data split out of the events (the applicant, officials' "
    "names and emails). Compacted, restricted, finite retention. Key: the dossier code (an "
    "applicant), official:<id> (an official).",
    SLA_ALERTS: "What sla announces about a dossier's deadline and verdict. Key: the dossier code.",
    AUDIT_FINDINGS: "Attributions and escalations of sync-audit. Key: the dossier code.",
}
_DLQ_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, kept, and these added.",
    "required": ["dlq_error", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_group"],
    "properties": {
        "dlq_error": {"type": "string", "description": "exception type and message, cut at 2000"},
        "dlq_topic": {"type": "string"},
        "dlq_partition": {"type": "string", "description": "decimal"},
        "dlq_offset": {"type": "string", "description": "decimal"},
        "dlq_group": {"type": "string", "description": "the consumer group that gave up"},
        "dlq_failed_at": {"type": "string", "format": "date-time"},
    },
}
_DEAD_LETTER = {
    "name": "dead-letter",
    "title": "dead letter",
    "summary": "A record its consumer could not process after its retries, value and key unchanged",
    "headers": _DLQ_HEADERS,
    "payload": {"description": "the original record's value, byte for byte (may not decode)"},
}


def _key(name: str) -> str:
    return name.replace(".", "_")


def _messages(schemas: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each topic's messages, by key."""
    by_topic: dict[str, dict[str, Any]] = {topic: {} for topic in TOPICS}
    for event_type, model in sorted(TOPIC_DATA_MODELS.items()):
        summary = f"`{event_type}` from a source"
        by_topic[DOSSIER_EVENTS][_key(event_type)] = _message(event_type, model, summary, schemas)
    for event_type, amodel in sorted(ALERT_MODELS.items()):
        topic = SLA_ALERTS if event_type.startswith("sla.") else AUDIT_FINDINGS
        by_topic[topic][_key(event_type)] = _message(event_type, amodel, f"`{event_type}`", schemas)
    for name, cmodel, what in (
        ("dossier.contact", DossierContact, "an applicant's contact, keyed by dossier code"),
        ("official.contact", OfficialContact, "an official's name and email, keyed official:<id>"),
    ):
        contact = _message(name, cmodel, f"{what} (personal data)", schemas)
        del contact["headers"]
        by_topic[DOSSIER_CONTACTS][_key(name)] = contact
    return by_topic


def _channels(by_topic: dict[str, dict[str, Any]]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for topic, messages in by_topic.items():
        refs = {key: {"$ref": f"#/components/messages/{key}"} for key in messages}
        channels[_key(topic)] = {
            "address": topic,
            "description": _DESCRIPTIONS[topic],
            "messages": refs,
        }
        channels[_key(dlq(topic))] = {
            "address": dlq(topic),
            "description": f"Dead letters of {topic}"
            + (": personal data, under the same rules." if topic == DOSSIER_CONTACTS else "."),
            "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
        }
    return channels


def _operation(flow: Flow, channel: str, messages: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": flow.action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "title": f"{flow.service} {flow.action}s {channel}",
        "summary": summary,
        "tags": [{"name": flow.service}],
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
    }


def _operation_id(service: str, action: str, channel: str) -> str:
    return f"{service}_{action}s_{channel}".replace("-", "_")


def _operations(channels: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for flow in FLOWS:
        channel = _key(flow.topic)
        wanted = channels[channel]["messages"]
        keys = sorted(wanted) if flow.types is None else [_key(t) for t in flow.types]
        operations[_operation_id(flow.service, flow.action, channel)] = _operation(
            flow, channel, keys, flow.summary
        )
        if flow.action == "receive":
            dead = _key(dlq(flow.topic))
            summary = f"What {flow.service} cannot process from {flow.topic}."
            send = Flow(flow.service, "send", dlq(flow.topic), summary)
            operations[_operation_id(flow.service, "send", dead)] = _operation(
                send, dead, ["dead_letter"], summary
            )
    return operations


def document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document."""
    schemas: dict[str, Any] = {}
    by_topic = _messages(schemas)
    channels = _channels(by_topic)
    messages = {key: m for topic in by_topic.values() for key, m in topic.items()}
    messages["dead_letter"] = _DEAD_LETTER
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Đúng Hạn topics",
            "version": "0.1.0",
            "description": "Kafka topics of Đúng Hạn (docs/contract.md §2) and who sends and "
            "receives each. Each topic has a `<topic>.dlq` dead-letter topic, written by the "
            "topic's consumers, whose messages keep the original value, key and headers and add "
            "dlq_error, dlq_topic, dlq_partition, dlq_offset, dlq_group, dlq_failed_at.",
        },
        "channels": channels,
        "operations": _operations(channels),
        "components": {"messages": messages, "schemas": schemas},
    }


def main() -> None:
    """Print the document as JSON."""
    json.dump(document(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Kafka topic names (docs/contract.md §2)."""

from __future__ import annotations

from typing import Final

DOSSIER_EVENTS: Final = "dossier-events"
DOSSIER_CONTACTS: Final = "dossier-contacts"
SLA_ALERTS: Final = "sla-alerts"
AUDIT_FINDINGS: Final = "audit-findings"
TOPICS: Final = (DOSSIER_EVENTS, DOSSIER_CONTACTS, SLA_ALERTS, AUDIT_FINDINGS)

DLQ_SUFFIX: Final = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic: where its unprocessable messages go."""
    return topic + DLQ_SUFFIX

"""Topic names of docs/contract.md §2."""

from __future__ import annotations

import pytest
from dunghan_common.events import topics

pytestmark = pytest.mark.unit


def test_topic_names_are_the_contract_ones() -> None:
    assert topics.TOPICS == ("dossier-events", "dossier-contacts", "sla-alerts", "audit-findings")


@pytest.mark.parametrize("topic", topics.TOPICS)
def test_each_topic_has_a_dead_letter_topic(topic: str) -> None:
    assert topics.dlq(topic) == f"{topic}.dlq"

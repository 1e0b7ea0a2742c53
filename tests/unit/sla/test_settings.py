"""SlaSettings reads its own fields from ``DUNGHAN_SLA_*`` (the names the e2e harness sets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sla.settings import SlaSettings

HARNESS_ENV = {
    "DUNGHAN_SLA_EVENTS_TOPIC": "t-events",
    "DUNGHAN_SLA_ALERTS_TOPIC": "t-alerts",
    "DUNGHAN_SLA_CONSUMER_GROUP": "g-1",
    "DUNGHAN_SLA_CALENDAR_DIR": "/tmp/cal",
    "DUNGHAN_SLA_RULES_DIR": "/tmp/rules",
    "DUNGHAN_SLA_TARGETS_DIR": "/tmp/targets",
    "DUNGHAN_SLA_TICK_INTERVAL_S": "0.25",
}


def test_own_fields_come_from_the_sla_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in HARNESS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DUNGHAN_EVENTS_TOPIC", "generic-name-is-ignored")
    s = SlaSettings()
    assert s.sla.events_topic == "t-events"
    assert s.sla.alerts_topic == "t-alerts"
    assert s.sla.consumer_group == "g-1"
    assert s.sla.calendar_dir == Path("/tmp/cal")
    assert s.sla.rules_dir == Path("/tmp/rules")
    assert s.sla.targets_dir == Path("/tmp/targets")
    assert s.sla.tick_interval_s == 0.25


def test_defaults_are_the_contract_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in HARNESS_ENV:
        monkeypatch.delenv(name, raising=False)
    s = SlaSettings()
    assert (s.sla.events_topic, s.sla.alerts_topic) == ("dossier-events", "sla-alerts")
    assert s.sla.consumer_group == "sla-projector"
    assert s.sla.tick_batch == 1000

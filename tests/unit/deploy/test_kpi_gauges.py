"""The KPI gauges behind the Grafana KPI board mirror GET /v1/kpis (sla's KpiGauges adapter)."""

from __future__ import annotations

from dunghan_common.metrics import UnitLabels
from prometheus_client import CollectorRegistry
from sla.adapters.kpi_gauges import KpiGauges
from sla.domain.kpis import Targets


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_rates_per_unit_and_targets_become_gauges_and_missing_rates_drop_their_series():
    registry = CollectorRegistry()
    gauges = KpiGauges(registry, UnitLabels({"000.00.12.H50"}))
    row = {
        "unit_code": "000.00.12.H50",
        "on_time_rate": 0.9,
        "online_submission_rate": 1.0,
        "online_payment_rate": None,
        "digitization_rate": None,
        "sync_rate": 0.5,
    }
    targets = Targets(year=2026, on_time_rate=0.95, sync_rate=0.95)
    gauges.publish({"units": [row]}, targets)
    rate = "dunghan_sla_kpi_ratio"
    assert _value(registry, rate, unit_code="000.00.12.H50", kpi="on_time_rate") == 0.9
    assert _value(registry, rate, unit_code="000.00.12.H50", kpi="online_payment_rate") is None
    assert _value(registry, "dunghan_sla_kpi_target_ratio", kpi="on_time_rate") == 0.95
    assert _value(registry, "dunghan_sla_kpi_target_ratio", kpi="digitization_rate") is None

    gauges.publish({"units": [{**row, "sync_rate": None}]}, targets)
    assert _value(registry, rate, unit_code="000.00.12.H50", kpi="sync_rate") is None


def test_an_unknown_unit_has_no_rate_series():
    registry = CollectorRegistry()
    KpiGauges(registry, UnitLabels({"000.00.12.H50"})).publish(
        {"units": [{"unit_code": "forged-unit", "on_time_rate": 0.5}]}, None
    )
    rate = "dunghan_sla_kpi_ratio"
    assert _value(registry, rate, unit_code="forged-unit", kpi="on_time_rate") is None
    assert _value(registry, rate, unit_code="other", kpi="on_time_rate") is None

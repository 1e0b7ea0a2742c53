"""The current month's KPI rates per unit and their targets, as gauges for the KPI board."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, cast

from dunghan_common.metrics import OTHER_UNIT, UnitLabels, gauge
from prometheus_client import CollectorRegistry

from sla.domain.kpis import RATE_NAMES, Targets

_RATE = "dunghan_sla_kpi_ratio"
_TARGET = "dunghan_sla_kpi_target_ratio"


class KpiGauges:
    """Mirrors ``GET /v1/kpis`` of the current month; a rate without denominator has no series.

    Only known units have series: rates of different units cannot be summed into ``other``.
    """

    def __init__(self, registry: CollectorRegistry, unit_labels: UnitLabels) -> None:
        self._unit_labels = unit_labels
        self.rate = gauge(
            registry,
            _RATE,
            "KPI rate of the current month (local time) by unit; fraction in [0, 1].",
            ("unit_code", "kpi"),
        )
        self.target = gauge(
            registry,
            _TARGET,
            "The year's KPI target (config/targets); fraction in [0, 1].",
            ("kpi",),
        )

    def publish(self, body: Mapping[str, object], targets: Targets | None) -> None:
        """Set every unit's rates from a KPI body (the contract's shape) and the targets."""
        for row in cast(list[dict[str, Any]], body.get("units", [])):
            if self._unit_labels(row["unit_code"]) == OTHER_UNIT:
                continue
            for kpi in RATE_NAMES:
                value = row.get(kpi)
                if value is None:
                    # No denominator this month: drop the series rather than show a fake 0.
                    with contextlib.suppress(KeyError):
                        self.rate.remove(row["unit_code"], kpi)
                else:
                    self.rate.labels(unit_code=row["unit_code"], kpi=kpi).set(value)
        for kpi in RATE_NAMES:
            target = None if targets is None else getattr(targets, kpi)
            if target is not None:
                self.target.labels(kpi=kpi).set(target)

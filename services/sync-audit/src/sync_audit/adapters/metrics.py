"""Prometheus metrics of the audit; error-code labels are capped so the series stay bounded."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dunghan_common.metrics import check_metric_name
from prometheus_client import CollectorRegistry, Counter, Gauge

_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
CAUSES = ("official_delay", "software_error", "sync_error", "none")


class PrometheusAuditMetrics:
    """The `AuditMetrics` port on a Prometheus registry."""

    def __init__(self, registry: CollectorRegistry, max_error_codes: int = 50) -> None:
        specs = [
            ("dunghan_sync_audit_escalations_open", "gauge", ("cause",)),
            ("dunghan_sync_audit_sync_failures_total", "counter", ("error_code",)),
            ("dunghan_sync_audit_attributions_total", "counter", ("cause",)),
            ("dunghan_sync_audit_reconciliation_lag_seconds", "gauge", ()),
        ]
        for name, kind, labels in specs:
            check_metric_name(name, kind, labels)
        self._open = Gauge(
            specs[0][0],
            "Escalations to DOST not yet resolved, by cause.",
            ["cause"],
            registry=registry,
        )
        self._failures = Counter(
            specs[1][0].removesuffix("_total"),
            "Failed portal syncs, by error code (codes beyond the cap counted as other).",
            ["error_code"],
            registry=registry,
        )
        self._attributions = Counter(
            specs[2][0].removesuffix("_total"),
            "New attribution revisions, by cause.",
            ["cause"],
            registry=registry,
        )
        self._lag = Gauge(
            specs[3][0],
            "How long the oldest dossier of the last reconciliation round waited past its check.",
            registry=registry,
        )
        self._max_codes = max_error_codes
        self._codes: set[str] = set()
        for cause in ("software_error", "sync_error"):
            self._open.labels(cause=cause).set(0)

    def sync_failed(self, error_code: str) -> None:
        """Count a failed sync under its code, or ``other`` once the cap is reached."""
        self._failures.labels(error_code=self._bounded(error_code)).inc()

    def attributed(self, cause: str) -> None:
        """Count a new revision."""
        self._attributions.labels(cause=cause if cause in CAUSES else "none").inc()

    def escalations_open(self, counts: Mapping[str, int]) -> None:
        """Set the open escalations per cause (zero where none)."""
        for cause in ("software_error", "sync_error"):
            self._open.labels(cause=cause).set(counts.get(cause, 0))

    def reconciliation_lag(self, seconds: float) -> None:
        """Set the last round's lag."""
        self._lag.set(seconds)

    def _bounded(self, code: str) -> str:
        if code in self._codes:
            return code
        if len(self._codes) >= self._max_codes or not _CODE.match(code):
            return "other"
        self._codes.add(code)
        return code

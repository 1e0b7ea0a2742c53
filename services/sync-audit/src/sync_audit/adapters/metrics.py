"""Prometheus metrics of the audit; error-code labels are capped so the series stay bounded."""

from __future__ import annotations

import re
from collections.abc import Mapping

from dunghan_common.metrics import counter, gauge
from prometheus_client import CollectorRegistry

_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
CAUSES = ("official_delay", "software_error", "sync_error", "none")


class PrometheusAuditMetrics:
    """The `AuditMetrics` port on a Prometheus registry."""

    def __init__(
        self,
        registry: CollectorRegistry,
        max_error_codes: int = 50,
        index_alert_points: float = 0.5,
    ) -> None:
        r = registry
        self._open = gauge(
            r,
            "dunghan_sync_audit_escalations_open",
            "Escalations to DOST not yet resolved, by cause.",
            ("cause",),
        )
        self._failures = counter(
            r,
            "dunghan_sync_audit_sync_failures_total",
            "Failed portal syncs, by error code (codes beyond the cap counted as other).",
            ("error_code",),
        )
        self._attributions = counter(
            r,
            "dunghan_sync_audit_attributions_total",
            "New attribution revisions, by cause.",
            ("cause",),
        )
        self._lag = gauge(
            r,
            "dunghan_sync_audit_reconciliation_lag_seconds",
            "How long the oldest dossier of the last reconciliation round waited past its check.",
        )
        self._points = gauge(
            r,
            "dunghan_sync_audit_index_points_at_stake",
            "Index points at stake per unit (corrected score - portal score, of 20) of the latest"
            " month with a portal answer; units outside the directory as other.",
            ("unit_code",),
        )
        self._threshold = gauge(
            r,
            "dunghan_sync_audit_index_points_alert_threshold",
            "Points at stake above which a unit is alerted on (DUNGHAN_AUDIT_INDEX_ALERT_POINTS).",
        )
        self._threshold.set(index_alert_points)
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

    def points_at_stake(self, points: Mapping[str, float]) -> None:
        """Replace the per-unit points (a unit no longer listed loses its series)."""
        self._points.clear()
        for unit_code, value in points.items():
            self._points.labels(unit_code=unit_code).set(value)

    def _bounded(self, code: str) -> str:
        if code in self._codes:
            return code
        if len(self._codes) >= self._max_codes or not _CODE.match(code):
            return "other"
        self._codes.add(code)
        return code

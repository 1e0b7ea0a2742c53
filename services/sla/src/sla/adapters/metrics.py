"""The SLA service's metrics: open/overdue by unit, breaches, timer lag, projection lag, horizon."""

from __future__ import annotations

from dunghan_common.metrics import check_metric_name
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class SlaMetrics:
    """Registered once per process registry; labels are unit codes (about 100) or none."""

    def __init__(self, registry: CollectorRegistry) -> None:
        specs = [
            ("dunghan_sla_open_dossiers", "gauge", ("unit_code",)),
            ("dunghan_sla_overdue_dossiers", "gauge", ("unit_code",)),
            ("dunghan_sla_breaches_total", "counter", ("unit_code",)),
            ("dunghan_sla_timer_lag_seconds", "histogram", ()),
            ("dunghan_sla_projection_lag_seconds", "gauge", ()),
            ("dunghan_sla_projected_events_total", "counter", ()),
            ("dunghan_sla_projection_round_trips_total", "counter", ()),
            ("dunghan_sla_calendar_horizon_seconds", "gauge", ()),
            ("dunghan_sla_watermark_lag_seconds", "gauge", ()),
            ("dunghan_sla_clock_skew_seconds", "gauge", ()),
            ("dunghan_sla_events_outside_window_total", "counter", ()),
            ("dunghan_sla_flagged_open_dossiers", "gauge", ("flag",)),
            ("dunghan_sla_targets_carried_over", "gauge", ()),
        ]
        for name, kind, labels in specs:
            check_metric_name(name, kind, labels)
        self.open = Gauge(
            "dunghan_sla_open_dossiers",
            "Open dossiers by processing unit.",
            ["unit_code"],
            registry=registry,
        )
        self.overdue = Gauge(
            "dunghan_sla_overdue_dossiers",
            "Open overdue dossiers by processing unit.",
            ["unit_code"],
            registry=registry,
        )
        self.breaches = Counter(
            "dunghan_sla_breaches",
            "Deadline breaches fired, by processing unit.",
            ["unit_code"],
            registry=registry,
        )
        self.timer_lag = Histogram(
            "dunghan_sla_timer_lag_seconds",
            "How late a timer fired (firing time − fire_at).",
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
        )
        self.projection_lag = Gauge(
            "dunghan_sla_projection_lag_seconds",
            "Now minus the newest event time of the last projected batch.",
            registry=registry,
        )
        self.projected = Counter(
            "dunghan_sla_projected_events",
            "Events projected (including redeliveries).",
            registry=registry,
        )
        self.round_trips = Counter(
            "dunghan_sla_projection_round_trips",
            "Database round trips of the projector.",
            registry=registry,
        )
        self.horizon = Gauge(
            "dunghan_sla_calendar_horizon_seconds",
            "Time until the reviewed calendar runs out (whole days, in seconds: base unit).",
            registry=registry,
        )
        self.watermark_lag = Gauge(
            "dunghan_sla_watermark_lag_seconds",
            "Now minus the event-time watermark up to which timers may fire (held timers).",
            registry=registry,
        )
        self.clock_skew = Gauge(
            "dunghan_sla_clock_skew_seconds",
            "This process's wall clock minus the database server's; timers hold while it is "
            "above the tolerance (a forward clock jump).",
            registry=registry,
        )
        self.outside_window = Counter(
            "dunghan_sla_events_outside_window",
            "Events on the topic dated before 2018 or too far ahead, applied as nothing.",
            registry=registry,
        )
        self.flagged = Gauge(
            "dunghan_sla_flagged_open_dossiers",
            "Open dossiers carrying a calendar flag (due_outside_calendar, "
            "beyond_calendar_horizon).",
            ["flag"],
            registry=registry,
        )
        self.targets_carried_over = Gauge(
            "dunghan_sla_targets_carried_over",
            "1 when the current year has no targets file and the last year's is carried over.",
            registry=registry,
        )

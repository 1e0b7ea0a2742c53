"""The SLA service's metrics: open/overdue by unit, breaches, timer lag, projection lag, horizon."""

from __future__ import annotations

from dunghan_common.metrics import counter, gauge, histogram
from prometheus_client import CollectorRegistry

UNIT = ("unit_code",)


class SlaMetrics:
    """Registered once per process registry; labels are unit codes (about 100) or none."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.open = gauge(r, "dunghan_sla_open_dossiers", "Open dossiers by processing unit.", UNIT)
        self.overdue = gauge(
            r, "dunghan_sla_overdue_dossiers", "Open overdue dossiers by processing unit.", UNIT
        )
        self.breaches = counter(
            r, "dunghan_sla_breaches_total", "Deadline breaches fired, by processing unit.", UNIT
        )
        self.timer_lag = histogram(
            r,
            "dunghan_sla_timer_lag_seconds",
            "How late a timer fired (firing time − fire_at).",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
        )
        self.projection_lag = gauge(
            r,
            "dunghan_sla_projection_lag_seconds",
            "Now minus the newest event time of the last projected batch.",
        )
        self.projected = counter(
            r, "dunghan_sla_projected_events_total", "Events projected (including redeliveries)."
        )
        self.round_trips = counter(
            r, "dunghan_sla_projection_round_trips_total", "Database round trips of the projector."
        )
        self.horizon = gauge(
            r,
            "dunghan_sla_calendar_horizon_seconds",
            "Time until the reviewed calendar runs out (whole days, in seconds: base unit).",
        )
        self.watermark_lag = gauge(
            r,
            "dunghan_sla_watermark_lag_seconds",
            "Now minus the event-time watermark up to which timers may fire (held timers).",
        )
        self.clock_skew = gauge(
            r,
            "dunghan_sla_clock_skew_seconds",
            "This process's wall clock minus the database server's; timers hold while it is "
            "above the tolerance (a forward clock jump).",
        )
        self.outside_window = counter(
            r,
            "dunghan_sla_events_outside_window_total",
            "Events on the topic dated before 2018 or too far ahead, applied as nothing.",
        )
        self.flagged = gauge(
            r,
            "dunghan_sla_flagged_open_dossiers",
            "Open dossiers carrying a calendar flag (due_outside_calendar, "
            "beyond_calendar_horizon) or a guess of the portal format's translation "
            "(time_limit_inferred, time_from_arrival, unknown_unit, unknown_channel, "
            "unknown_payment).",
            ("flag",),
        )
        self.targets_carried_over = gauge(
            r,
            "dunghan_sla_targets_carried_over",
            "1 when the current year has no targets file and the last year's is carried over.",
        )

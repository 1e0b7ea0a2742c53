"""Notify's metrics: notifications by kind, channel and outcome; send latency; the waiting queue;
the letters held for a unit missing from the directory."""

from __future__ import annotations

from dunghan_common.metrics import check_metric_name
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_NOTIFICATIONS = "dunghan_notify_notifications_total"
_LATENCY = "dunghan_notify_send_duration_seconds"
_WAITING = "dunghan_notify_waiting_records"
_HELD = "dunghan_notify_letters_held_records"
_UNADDRESSED = "dunghan_notify_letter_copies_unaddressed_total"
_UNREADABLE = "dunghan_notify_contacts_unreadable_total"
_UNAPPROVED = "dunghan_notify_letters_issued_unapproved_total"
_KINDS = ("apology", "reminder", "escalation", "digest", "notice")
_CHANNELS = ("email", "sms", "webhook")


class NotifyMetrics:
    """Registered once per process registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        check_metric_name(_NOTIFICATIONS, "counter", ("kind", "channel", "outcome"))
        check_metric_name(_LATENCY, "histogram", ("channel",))
        check_metric_name(_WAITING, "gauge", ("kind",))
        self.outcomes = Counter(
            _NOTIFICATIONS,
            "Delivery outcomes (sent, retried, failed).",
            ["kind", "channel", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            _LATENCY,
            "Time to hand one message to its channel.",
            ["channel"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.waiting = Gauge(
            _WAITING,
            "Notifications queued for later (office hours, backoff).",
            ["kind"],
            registry=registry,
        )
        check_metric_name(_HELD, "gauge")
        self.held = Gauge(
            _HELD,
            "Apology letters held: their unit has no complete entry in the unit directory.",
            registry=registry,
        )
        check_metric_name(_UNADDRESSED, "counter", ("recipient_role",))
        self.copies_unaddressed = Counter(
            _UNADDRESSED,
            "Letter copies not sent: the unit directory gives no address for them.",
            ["recipient_role"],
            registry=registry,
        )
        check_metric_name(_UNREADABLE, "counter", ("where",))
        self.unreadable = Counter(
            _UNREADABLE,
            "Letters shown (api) or sent as copies (delivery) without their addressee: no "
            "contacts key opens the applicant's contact.",
            ["where"],
            registry=registry,
        )
        check_metric_name(_UNAPPROVED, "counter")
        self.issued_unapproved = Counter(
            _UNAPPROVED,
            "Letters awaiting their unit head's approval, issued unapproved at their deadline.",
            registry=registry,
        )
        self._zero_series()

    def _zero_series(self) -> None:
        # Export every outcome at 0 from the start: a counter that first appears at 1 shows no
        # increase() in Prometheus, so the first failed apology letter would not alert.
        for role in ("service_centre", "processing_unit"):
            self.copies_unaddressed.labels(recipient_role=role)
        for where in ("api", "delivery"):
            self.unreadable.labels(where=where)
        for channel in _CHANNELS:
            self.latency.labels(channel=channel)
            for kind in _KINDS:
                for outcome in ("sent", "retried", "failed"):
                    self.outcomes.labels(kind=kind, channel=channel, outcome=outcome)

    def observe(self, kind: str, channel: str, outcome: str, seconds: float | None) -> None:
        """Count one outcome and its send latency."""
        self.outcomes.labels(kind=kind, channel=channel, outcome=outcome).inc()
        if seconds is not None:
            self.latency.labels(channel=channel).observe(seconds)

    def unaddressed(self, recipient_role: str) -> None:
        """Count a letter's copy the unit directory gives no address for."""
        self.copies_unaddressed.labels(recipient_role=recipient_role).inc()

    def contact_unreadable(self, where: str) -> None:
        """Count a letter shown or sent without its addressee (no key opens the contact)."""
        self.unreadable.labels(where=where).inc()

    def set_waiting(self, by_kind: dict[str, int]) -> None:
        """Set the waiting gauge for every kind (0 where none wait)."""
        for kind in _KINDS:
            self.waiting.labels(kind=kind).set(by_kind.get(kind, 0))

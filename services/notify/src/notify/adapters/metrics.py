"""Notify's metrics: notifications by kind, channel and outcome; send latency; the waiting queue;
the letters held for a unit missing from the directory."""

from __future__ import annotations

from dunghan_common.metrics import counter, gauge, histogram
from prometheus_client import CollectorRegistry

_KINDS = ("apology", "reminder", "escalation", "digest", "notice")
_CHANNELS = ("email", "sms", "webhook")


class NotifyMetrics:
    """Registered once per process registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.outcomes = counter(
            r,
            "dunghan_notify_notifications_total",
            "Delivery outcomes (sent, retried, failed).",
            ("kind", "channel", "outcome"),
        )
        self.latency = histogram(
            r,
            "dunghan_notify_send_duration_seconds",
            "Time to hand one message to its channel.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            labels=("channel",),
        )
        self.waiting = gauge(
            r,
            "dunghan_notify_waiting_records",
            "Notifications queued for later (office hours, backoff).",
            ("kind",),
        )
        self.held = gauge(
            r,
            "dunghan_notify_letters_held_records",
            "Apology letters held: their unit has no complete entry in the unit directory.",
        )
        self.copies_unaddressed = counter(
            r,
            "dunghan_notify_letter_copies_unaddressed_total",
            "Letter copies not sent: the unit directory gives no address for them.",
            ("recipient_role",),
        )
        self.unreadable = counter(
            r,
            "dunghan_notify_contacts_unreadable_total",
            "Letters shown (api) or sent as copies (delivery) without their addressee: no "
            "contacts key opens the applicant's contact.",
            ("where",),
        )
        self.issued_unapproved = counter(
            r,
            "dunghan_notify_letters_issued_unapproved_total",
            "Letters awaiting their unit head's approval, issued unapproved at their deadline.",
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

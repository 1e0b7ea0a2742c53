"""The metrics of ingest (no personal data, bounded labels: type, configured source, reason).

Request latency is the shared ``dunghan_http_request_duration_seconds`` of `create_app`
(route ``/v1/events``), like every route of every service.
"""

from __future__ import annotations

from typing import Any

from dunghan_common.metrics import counter, histogram
from prometheus_client import CollectorRegistry

_BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class IngestMetrics:
    """Counters and histograms of the request path."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self._children: dict[tuple[str, str, str], Any] = {}
        self.events = counter(
            r,
            "dunghan_ingest_events_total",
            "Events by type, source and outcome (accepted, duplicate, rejected).",
            ("type", "source", "outcome"),
        )
        self.rejected = counter(
            r, "dunghan_ingest_rejected_requests_total", "Requests refused, by reason.", ("reason",)
        )
        self.batch_size = histogram(
            r,
            "dunghan_ingest_batch_size_events",
            "Events per accepted-for-validation request.",
            buckets=_BATCH_BUCKETS,
        )
        self.produce_latency = histogram(
            r,
            "dunghan_ingest_kafka_produce_duration_seconds",
            "Time from handing a request's records to Kafka until every ack.",
            buckets=_LATENCY_BUCKETS,
        )

    def count(self, kind: str, source: str, outcome: str, n: int) -> None:
        """Add ``n`` events to ``dunghan_ingest_events_total`` (children kept: few, bounded)."""
        key = (kind, source, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.events.labels(kind, source, outcome)
        child.inc(n)

"""Prometheus helpers: one registry per process, names checked against our conventions."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "dunghan_"
_UNITS = ("_seconds", "_bytes", "_total", "_ratio", "_days", "_events", "_records", "_info")
_NAME = re.compile(r"^dunghan_[a-z][a-z0-9_]*$")
#: Label names that would carry personal data or unbounded values: never allowed.
FORBIDDEN_LABELS = frozenset({"dossier_id", "name", "email", "phone", "applicant", "event_id"})


def check_metric_name(name: str, kind: str, labels: tuple[str, ...] = ()) -> None:
    """Raise ValueError when a metric breaks the naming conventions of the project."""
    if not _NAME.match(name):
        raise ValueError(f"metric {name!r} must match {_NAME.pattern}")
    if kind == "counter" and not name.endswith("_total"):
        raise ValueError(f"counter {name!r} must end with _total")
    if kind != "counter" and name.endswith("_total"):
        raise ValueError(f"{kind} {name!r} must not end with _total")
    bad = FORBIDDEN_LABELS.intersection(labels)
    if bad:
        raise ValueError(f"metric {name!r} uses unbounded or personal labels {sorted(bad)}")


def new_registry(service: str, version: str = "0.1.0") -> CollectorRegistry:
    """Create a process registry holding the build-info gauge."""
    registry = CollectorRegistry()
    info = Gauge(
        "dunghan_build_info",
        "Build information of the running service.",
        ["service", "version"],
        registry=registry,
    )
    info.labels(service=service, version=version).set(1)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """Render the registry in Prometheus text format, with its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


__all__ = ["PREFIX", "check_metric_name", "exposition", "new_registry"]

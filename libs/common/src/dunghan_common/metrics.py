"""Prometheus helpers: one registry per process, names checked against our conventions."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
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


def counter(
    registry: CollectorRegistry, name: str, doc: str, labels: tuple[str, ...] = ()
) -> Counter:
    """A counter checked against the conventions; ``name`` as exposed, ending in ``_total``."""
    check_metric_name(name, "counter", labels)
    return Counter(name.removesuffix("_total"), doc, labels, registry=registry)


def gauge(registry: CollectorRegistry, name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    """A gauge checked against the conventions."""
    check_metric_name(name, "gauge", labels)
    return Gauge(name, doc, labels, registry=registry)


def histogram(
    registry: CollectorRegistry,
    name: str,
    doc: str,
    buckets: tuple[float, ...],
    labels: tuple[str, ...] = (),
) -> Histogram:
    """A histogram checked against the conventions, with its buckets."""
    check_metric_name(name, "histogram", labels)
    return Histogram(name, doc, labels, registry=registry, buckets=buckets)


#: The one label value every unit outside the directory is counted under.
OTHER_UNIT = "other"


class UnitLabels:
    """Bounds ``unit_code`` label values: a known unit labels itself, any other one ``other``.

    Unit codes arrive in event data, so a sender could otherwise create series without bound.
    ``known`` is injected at wiring: a set of codes, or a predicate over a directory that may
    change while the process runs (``lambda code: code in source.current()``).
    """

    def __init__(self, known: Collection[str] | Callable[[str], bool]) -> None:
        self._known = known.__contains__ if isinstance(known, Collection) else known

    def __call__(self, unit_code: str | None) -> str:
        """The label value of a unit code."""
        return unit_code if unit_code and self._known(unit_code) else OTHER_UNIT

    def totals(self, counts: Mapping[str, Iterable[int]]) -> dict[str, tuple[int, ...]]:
        """Counts per unit summed per label value (every unknown unit into ``other``)."""
        summed: dict[str, tuple[int, ...]] = {}
        for unit_code, values in counts.items():
            label, row = self(unit_code), tuple(values)
            before = summed.get(label)
            summed[label] = (
                row if before is None else tuple(map(sum, zip(before, row, strict=True)))
            )
        return summed


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


__all__ = [
    "OTHER_UNIT",
    "PREFIX",
    "UnitLabels",
    "check_metric_name",
    "exposition",
    "new_registry",
]

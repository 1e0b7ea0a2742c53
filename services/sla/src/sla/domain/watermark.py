"""The event-time watermark: up to when the projection has applied every event of the topic.

A timer may fire only when no event that could still prevent it (a finish, a pause, a late
supplement) is waiting in the topic unapplied. Per partition, the projection has applied every
event up to ``checked_at`` when its applied position reaches the partition's end measured at
``checked_at``; otherwise only up to the greatest event time it applied (events of a partition
come roughly in event-time order). The topic's watermark is the least of its partitions'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionProgress:
    """What the projector applied of one partition (written with the batch's own write)."""

    topic: str
    partition: int
    applied_offset: int  # the next offset to apply: the last applied record's offset + 1
    max_event_time: dt.datetime | None  # the greatest event time applied


@dataclass(frozen=True)
class PartitionLog:
    """One partition as the broker reports it, with the projector group's committed offset."""

    beginning: int  # records before it are deleted: nothing there can still be applied
    end: int  # the offset the next record will get
    committed: int | None  # committed only after the batch's write (or its dead-lettering)


def partition_watermark(
    checked_at: dt.datetime, log: PartitionLog, progress: PartitionProgress | None
) -> dt.datetime | None:
    """Up to when this partition's events are applied; None when nothing is known to be."""
    done = max(
        log.beginning,
        log.committed or 0,
        0 if progress is None else progress.applied_offset,
    )
    if done >= log.end:
        return checked_at  # caught up: every event sent before the check is applied
    return None if progress is None else progress.max_event_time


def event_time_watermark(
    checked_at: dt.datetime,
    logs: Mapping[int, PartitionLog] | None,
    progress: Mapping[int, PartitionProgress],
) -> dt.datetime | None:
    """The topic's watermark: the least of its partitions'; None holds every timer.

    Without the broker's view (``logs`` None, or no partition) nothing proves the projection
    caught up, so nothing is released: a missing fact must never turn into a breach.
    """
    if not logs:
        return None
    marks = [partition_watermark(checked_at, log, progress.get(p)) for p, log in logs.items()]
    if any(m is None for m in marks):
        return None
    return min(m for m in marks if m is not None)


def fire_cutoff(
    now: dt.datetime, watermark: dt.datetime | None, margin: dt.timedelta
) -> dt.datetime | None:
    """The latest ``fire_at`` a tick may fire: the watermark (never past now) minus the margin
    left for events their source sends slightly after their event time; None fires nothing."""
    if watermark is None:
        return None
    return min(now, watermark) - margin

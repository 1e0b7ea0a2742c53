"""The event-time watermark: per partition caught up (now) or its greatest applied event time."""

from __future__ import annotations

import datetime as dt

from sla.domain.watermark import (
    PartitionLog,
    PartitionProgress,
    event_time_watermark,
    fire_cutoff,
    partition_watermark,
)

from tests.unit.sla.helpers import at

NOW = at("2025-11-03 10:00")
OCT_20 = at("2025-10-20 08:00")


def progress(partition: int, offset: int, time: dt.datetime | None) -> PartitionProgress:
    """A progress row of the topic ``t``."""
    return PartitionProgress("t", partition, offset, time)


def test_a_caught_up_partition_is_applied_up_to_the_check() -> None:
    log = PartitionLog(beginning=0, end=10, committed=None)
    assert partition_watermark(NOW, log, progress(0, 10, OCT_20)) == NOW


def test_a_partition_behind_is_applied_up_to_its_greatest_event_time() -> None:
    log = PartitionLog(beginning=0, end=11, committed=None)
    assert partition_watermark(NOW, log, progress(0, 10, OCT_20)) == OCT_20


def test_the_group_commit_or_deleted_records_also_count_as_done() -> None:
    # A dead-lettered last record is committed, never applied: it cannot hold timers forever.
    committed = PartitionLog(beginning=0, end=11, committed=11)
    assert partition_watermark(NOW, committed, progress(0, 10, OCT_20)) == NOW
    # Records deleted by retention can never be applied: an emptied partition is caught up.
    assert partition_watermark(NOW, PartitionLog(beginning=5, end=5, committed=None), None) == NOW


def test_a_partition_never_applied_holds_everything_unless_it_is_empty() -> None:
    assert partition_watermark(NOW, PartitionLog(0, 0, None), None) == NOW
    assert partition_watermark(NOW, PartitionLog(0, 3, None), None) is None
    assert partition_watermark(NOW, PartitionLog(0, 3, 1), None) is None


def test_the_topic_watermark_is_its_least_partition() -> None:
    logs = {0: PartitionLog(0, 10, None), 1: PartitionLog(0, 8, None), 2: PartitionLog(0, 0, None)}
    rows = {0: progress(0, 10, OCT_20), 1: progress(1, 5, at("2025-10-02 09:00"))}
    assert event_time_watermark(NOW, logs, rows) == at("2025-10-02 09:00")
    rows[1] = progress(1, 8, at("2025-10-30 09:00"))
    assert event_time_watermark(NOW, logs, rows) == NOW


def test_without_the_broker_or_with_an_unknown_partition_nothing_is_released() -> None:
    assert event_time_watermark(NOW, None, {0: progress(0, 10, OCT_20)}) is None
    assert event_time_watermark(NOW, {}, {}) is None
    logs = {0: PartitionLog(0, 10, None), 1: PartitionLog(0, 1, None)}
    assert event_time_watermark(NOW, logs, {0: progress(0, 10, OCT_20)}) is None


def test_the_cutoff_is_the_watermark_never_past_now_less_the_margin() -> None:
    margin = dt.timedelta(seconds=2)
    assert fire_cutoff(NOW, None, margin) is None
    assert fire_cutoff(NOW, OCT_20, margin) == OCT_20 - margin
    assert fire_cutoff(NOW, NOW + dt.timedelta(days=1), margin) == NOW - margin

"""The use-cases with fakes of their ports: projection and ticking, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import orjson
import pytest
from dunghan_common.clock import FakeClock
from sla.domain.fold import Folded, Snapshot, snapshot_last
from sla.domain.model import DossierEvent, DossierState
from sla.domain.timers import Timer
from sla.domain.verdicts import Announced
from sla.domain.watermark import PartitionLog, PartitionProgress
from sla.ports import Encoder, FiredTimer, OutboxRow, Stored
from sla.usecases import AlertEncoder, FireDueTimers, ProjectBatch

from tests.unit.sla.helpers import DOSSIER, at, calendar, event, received, rules

pytestmark = pytest.mark.asyncio(loop_scope="session")


class FakeProjectionStore:
    """Keeps events, states, timers and the alert keys in memory."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], DossierEvent] = {}
        self.states: dict[str, DossierState] = {}
        self.timers: dict[tuple[str, str], Timer] = {}
        self.alerts: dict[tuple[str, str, str], OutboxRow] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.progress_rows: dict[tuple[str, int], PartitionProgress] = {}
        self.verdicts: dict[str, Announced] = {}
        self.reference: dt.datetime | None = None  # the store's clock; None: far in the past

    async def load(self, events: Sequence[DossierEvent]) -> Stored:
        stored = Stored()
        for dossier_id in {e.dossier_id for e in events}:
            if dossier_id in self.verdicts:
                stored.verdicts[dossier_id] = self.verdicts[dossier_id]
            snapshot = self.snapshots.get(dossier_id)
            if snapshot is None:
                continue
            last = snapshot_last(snapshot)
            # As the SQL store: an event not after the last folded one (late, or redelivered).
            late = any(
                last is not None and e.key <= last for e in events if e.dossier_id == dossier_id
            )
            if late:
                history = [e for e in self.events.values() if e.dossier_id == dossier_id]
                stored.histories[dossier_id] = history
            else:
                stored.snapshots[dossier_id] = snapshot
        return stored

    async def save(
        self,
        events: Sequence[DossierEvent],
        folds: Sequence[Folded],
        timers: Sequence[Timer],
        alerts: Sequence[OutboxRow],
        progress: Sequence[PartitionProgress] = (),
        verdicts: Mapping[str, Announced] | None = None,
    ) -> None:
        await self.record_progress(progress)
        for e in events:
            self.events.setdefault((e.source, e.event_id), e)
        written = set()
        for folded in folds:
            state = folded.state
            old = self.states.get(state.dossier_id)
            if old is not None and old.event_count > state.event_count:
                continue  # a stale writer, as the SQL store's guard
            written.add(state.dossier_id)
            if verdicts and state.dossier_id in verdicts:
                self.verdicts[state.dossier_id] = verdicts[state.dossier_id]
            self.states[state.dossier_id] = state
            self.snapshots[state.dossier_id] = orjson.loads(orjson.dumps(folded.snapshot))
            for kind in ("breach", "apology_window"):
                self.timers.pop((state.dossier_id, kind), None)
        self.timers.update({(t.dossier_id, t.kind): t for t in timers if t.dossier_id in written})
        for a in alerts:
            if a.dossier_id in written:
                self.alerts.setdefault((a.dossier_id, a.kind, a.occasion), a)

    async def fire_due(
        self, until: dt.datetime, now: dt.datetime, limit: int, encode: Encoder
    ) -> list[FiredTimer]:
        due = sorted(
            (t for t in self.timers.values() if t.fire_at <= until), key=lambda t: t.fire_at
        )
        fired = []
        for timer in due[:limit]:
            del self.timers[(timer.dossier_id, timer.kind)]
            state = self.states[timer.dossier_id]
            if not state.is_open or state.clock_state != "running" or state.due_at != timer.due_at:
                continue  # as the SQL store: a timer of an ended or moved clock fires nothing
            item = FiredTimer(timer.kind, timer.due_at, timer.fire_at, state)
            if timer.kind == "breach":
                number = (
                    self.verdicts[state.dossier_id].revision
                    if state.dossier_id in self.verdicts
                    else 0
                )
                self.verdicts[state.dossier_id] = Announced("overdue", timer.due_at, number)
            if (row := encode(item)) is not None:
                self.alerts.setdefault((row.dossier_id, row.kind, row.occasion), row)
            fired.append(item)
        return fired

    async def record_progress(self, progress: Sequence[PartitionProgress]) -> None:
        for p in progress:
            old = self.progress_rows.get((p.topic, p.partition))
            if old is not None and old.applied_offset > p.applied_offset:
                continue
            self.progress_rows[(p.topic, p.partition)] = p

    async def progress(self, topic: str) -> dict[int, PartitionProgress]:
        return {p: row for (t, p), row in self.progress_rows.items() if t == topic}

    async def reference_now(self) -> dt.datetime:
        assert self.reference is not None, "set the store's clock"
        return self.reference


class FakeLogOffsets:
    """A topic whose partitions' ends the test sets; an empty one-partition topic by default."""

    def __init__(self, ends: dict[int, int] | None = None) -> None:
        self.ends = {0: 0} if ends is None else ends

    async def read(self, topic: str) -> dict[int, PartitionLog] | None:
        return {
            p: PartitionLog(beginning=0, end=end, committed=None) for p, end in self.ends.items()
        }


ENCODER = AlertEncoder(topic="sla-alerts", source="dunghan-sla")
TOPIC = "dossier-events"


def ticker_at(store: FakeProjectionStore, now: str, offsets: FakeLogOffsets) -> FireDueTimers:
    """A ticker on the fake store with a fake clock (the store's clock agrees) and a 2 s margin."""
    store.reference = at(now)
    return FireDueTimers(store, FakeClock(at(now)), ENCODER, offsets, TOPIC)


def projector(store: FakeProjectionStore, now: str = "2025-12-31 00:00") -> ProjectBatch:
    """The projection use-case on the fake store, its clock at ``now``."""
    return ProjectBatch(store, rules(), calendar(), ENCODER, FakeClock(at(now)))


async def test_a_late_supplement_moves_the_pending_breach_timer() -> None:
    store = FakeProjectionStore()
    project = projector(store)
    await project.execute([received("2025-08-04 07:00", 1)])
    assert store.timers[(DOSSIER, "breach")].fire_at == at("2025-08-04 17:00")
    await project.execute(
        [
            event("supplement_requested", "2025-08-04 09:00", reason="x"),
            event("supplement_received", "2025-08-04 10:00"),
        ]
    )
    assert store.timers[(DOSSIER, "breach")].fire_at == at("2025-08-05 08:00")


async def test_ticking_fires_in_order_and_finishing_cancels_timers() -> None:
    store = FakeProjectionStore()
    project = projector(store)
    await project.execute([received("2025-08-04 07:00", 2)])
    ticker = ticker_at(store, "2025-08-04 17:30", FakeLogOffsets())
    assert [f.kind for f in await ticker.execute()] == ["apology_window"]
    await project.execute([event("result_ready", "2025-08-05 09:00")])
    assert store.timers == {}
    assert [k for _, k, _ in store.alerts] == ["apology_window", "finished"]


async def test_append_path_late_path_and_redelivery_agree_with_a_full_fold() -> None:
    from sla.domain.fold import fold

    story = [
        received("2025-08-04 08:00", 4),
        event("assigned", "2025-08-04 08:30", assignee_id="cb-1"),
        event("supplement_requested", "2025-08-04 10:00", reason="x"),
        event("paused", "2025-08-06 09:00", kind="verification"),
        event("resumed", "2025-08-06 11:00"),
    ]
    late = event("supplement_received", "2025-08-05 10:00")
    store = FakeProjectionStore()
    project = projector(store)
    for e in story:  # one event per batch: the append fast path each time
        await project.execute([e])
    assert store.states[DOSSIER] == fold(DOSSIER, story, rules(), calendar())
    await project.execute([late])  # before the last stored event: the full re-fold
    expected = fold(DOSSIER, [*story, late], rules(), calendar())
    assert store.states[DOSSIER] == expected
    assert await project.execute([story[1], late]) == []  # a redelivery changes nothing
    assert store.states[DOSSIER] == expected
    assert store.states[DOSSIER].event_count == 6


async def test_timers_wait_for_the_projection_to_apply_what_could_cancel_them() -> None:
    store = FakeProjectionStore()
    project = projector(store)
    offsets = FakeLogOffsets({0: 3, 1: 0})  # partition 0 holds three records, 1 is empty
    ticker = ticker_at(store, "2025-09-01 08:00", offsets)
    reception = PartitionProgress(TOPIC, 0, 1, at("2025-08-04 07:00"))
    await project.execute([received("2025-08-04 07:00", 2)], [reception])
    assert await ticker.execute() == []  # due 5/8 17:00, but only 4/8 07:00 is applied
    assert ticker.watermark == at("2025-08-04 07:00")
    other = PartitionProgress(TOPIC, 0, 2, at("2025-08-05 08:00"))
    await project.execute([event("processing_started", "2025-08-05 08:00")], [other])
    assert [f.kind for f in await ticker.execute()] == ["apology_window"]  # due − 1 day passed
    finish = PartitionProgress(TOPIC, 0, 3, at("2025-08-05 09:00"))
    await project.execute([event("result_ready", "2025-08-05 09:00")], [finish])
    assert await ticker.execute() == []  # caught up: the watermark is now, the breach is gone
    assert ticker.watermark == at("2025-09-01 08:00")
    assert [k for _, k, _ in store.alerts] == ["apology_window", "finished"]


async def test_a_batch_that_changes_no_dossier_still_records_its_progress() -> None:
    store = FakeProjectionStore()
    project = projector(store)
    await project.execute([], [PartitionProgress(TOPIC, 2, 7, at("2025-08-04 07:00"))])
    assert (await store.progress(TOPIC))[2].applied_offset == 7

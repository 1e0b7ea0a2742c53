"""The pure domain of sync-audit: attribution rules, the two views, revisions, escalations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from sync_audit.adapters.metrics import PrometheusAuditMetrics
from sync_audit.domain import escalations as esc
from sync_audit.domain.attribution import assess, decide
from sync_audit.domain.model import Observation, OutageWindow
from sync_audit.domain.revisions import revise
from sync_audit.domain.views import local_view

DUE = datetime.fromisoformat("2025-08-06T10:00:00+07:00")
NOW = datetime.fromisoformat("2025-08-10T12:00:00+07:00")
D = "000.00.12.H50-250801-0001"


def obs(
    kind: str, time: str, data: dict[str, Any] | None = None, key: str | None = None
) -> Observation:
    return Observation(
        event_key=key or f"{kind}@{time}",
        dossier_id=D,
        type=kind,
        time=datetime.fromisoformat(time),
        data=data or {},
    )


RECEIVED = obs(
    "dossier.received",
    "2025-08-01T10:00:00+07:00",
    {
        "unit_code": "U1",
        "procedure": {"code": "1.004227", "name": "x"},
        "time_limit": {"value": 3, "unit": "working_days"},
        "due_at": DUE.isoformat(),
        "channel": "online",
    },
)
READY = obs("dossier.result_ready", "2025-08-05T09:00:00+07:00")


def facts(due: datetime = DUE) -> dict[str, Any]:
    return {
        "unit_code": "U1",
        "procedure_code": "1.004227",
        "received_at": RECEIVED.time.isoformat(),
        "due_at": due.isoformat(),
    }


def breach(due: datetime = DUE) -> Observation:
    """sla's word that the dossier is open past ``due``."""
    data = {"dossier": facts(due), "breached_at": due.isoformat()}
    return obs("sla.deadline_breached", due.isoformat(), data)


def finished_late(finished: str, due: datetime = DUE) -> Observation:
    data = {"dossier": facts(due), "finished_at": finished, "end_event": "dossier.result_ready"}
    return obs("sla.finished_late", due.isoformat(), data)


def finished(
    finished_at: str, timeliness: str, due: datetime = DUE, applied: int = 9
) -> Observation:
    """sla's announcement of an end of processing."""
    data = {
        "dossier": {**facts(due), "events_applied": applied},
        "finished_at": finished_at,
        "end_event": "dossier.result_ready",
        "timeliness": timeliness,
    }
    return obs("sla.finished", finished_at, data)


def revised(previous: str, current: str, due: datetime = DUE, applied: int = 10) -> Observation:
    """sla's revision of a verdict."""
    data = {
        "dossier": {**facts(due), "events_applied": applied},
        "revision": 1,
        "previous": {"timeliness": previous, "due_at": DUE.isoformat()},
        "current": {"timeliness": current, "due_at": due.isoformat()},
        "caused_by": ["dossier.paused"],
        "revised_at": NOW.isoformat(),
    }
    return obs("sla.verdict_revised", NOW.isoformat(), data)


BREACH = breach()
EARLY = finished(READY.time.isoformat(), "early")


def no_calendar(*_: object) -> datetime:
    raise AssertionError("the receipt's due date must be used")


def cause_of(observations: list[Observation], outages: list[OutageWindow] | None = None) -> str:
    a = assess(D, observations, outages or [], NOW, no_calendar)
    assert a is not None
    return a.cause


@pytest.mark.parametrize(
    ("late", "portal_late", "fault", "expected"),
    [
        (False, False, False, "none"),
        (False, True, False, "sync_error"),
        (False, True, True, "sync_error"),
        (True, False, False, "official_delay"),
        (True, True, False, "official_delay"),
        (True, False, True, "software_error"),
    ],
)
def test_the_rule_table(late: bool, portal_late: bool, fault: bool, expected: str) -> None:
    assert decide(late, portal_late, fault) == expected


def timeliness(observations: list[Observation], now: datetime = NOW) -> str | None:
    a = assess(D, observations, [], now, no_calendar)
    return None if a is None else a.local_timeliness


def test_local_timeliness_is_slas_word_never_a_guess() -> None:
    assert timeliness([RECEIVED, READY]) is None  # finished here, sla has not announced it yet
    assert timeliness([RECEIVED, READY, EARLY]) == "early"
    after = obs("dossier.result_ready", "2025-08-07T09:00:00+07:00")
    assert timeliness([RECEIVED, after, finished(after.time.isoformat(), "on_time")]) == "on_time"
    assert timeliness([RECEIVED, after, finished_late(after.time.isoformat())]) == "late"
    assert timeliness([RECEIVED], DUE - timedelta(hours=1)) == "within_time"
    assert timeliness([RECEIVED]) is None  # past due, sla silent: its breach is on its way
    assert timeliness([RECEIVED, BREACH]) == "overdue"
    # Late events overturned the breach: sla's revision is the newest word.
    assert (
        timeliness([RECEIVED, BREACH, revised("overdue", "within_time", DUE + timedelta(days=9))])
        == "within_time"
    )
    # Of two announcements, the one with more events applied wins, whatever their times.
    older = finished(READY.time.isoformat(), "late", applied=3).model_copy(
        update={"event_key": "older"}
    )
    assert timeliness([RECEIVED, READY, EARLY, older]) == "early"


def test_no_reception_no_attribution() -> None:
    assert assess(D, [READY], [], NOW, no_calendar) is None


def test_the_receipts_missing_due_date_is_computed() -> None:
    data = {k: v for k, v in RECEIVED.data.items() if k != "due_at"}
    bare = RECEIVED.model_copy(update={"data": data})
    a = assess(D, [bare], [], RECEIVED.time, lambda t, v, u: t + timedelta(days=v))
    assert a is not None
    assert a.facts.due_at == RECEIVED.time + timedelta(days=3)


def test_sync_error_only_on_positive_portal_evidence() -> None:
    never = [RECEIVED, READY, EARLY]
    silent = assess(D, never, [], NOW, no_calendar)
    assert silent is not None
    assert (silent.cause, silent.portal_view) == ("none", "unknown")  # no evidence: no guess
    status_2 = obs("portal.sync_succeeded", "2025-08-01T10:05:00+07:00", {"status_code": 2})
    only_reception = assess(D, [*never, status_2], [], NOW, no_calendar)
    assert only_reception is not None
    assert (only_reception.cause, only_reception.portal_view) == ("none", "unknown")
    on_time = [
        *never,
        obs("portal.sync_succeeded", "2025-08-05T09:05:00+07:00", {"status_code": 9}),
    ]
    assert cause_of(on_time) == "none"
    late = [*never, obs("portal.sync_succeeded", "2025-08-06T10:05:00+07:00", {"status_code": 9})]
    assert cause_of(late) == "sync_error"
    failed = {"status_code": 9, "error_code": "HTTP_504"}
    refused = [*never, obs("portal.sync_failed", "2025-08-05T09:05:00+07:00", failed)]
    a = assess(D, refused, [], NOW, no_calendar)
    assert a is not None
    assert (a.cause, a.portal_view) == ("sync_error", "disagrees")
    assert "finishing_push_failed" in a.evidence[-1].detail or any(
        "finishing_push_failed" in e.detail for e in a.evidence
    )
    snap = {"status_code": 4, "due_at": DUE.isoformat()}
    disagree = [*on_time, obs("portal.snapshot", "2025-08-07T08:00:00+07:00", snap)]
    assert cause_of(disagree) == "sync_error"
    # A snapshot taken before the finish says nothing of the finish.
    before = [*never, obs("portal.snapshot", "2025-08-04T08:00:00+07:00", snap)]
    b = assess(D, before, [], NOW, no_calendar)
    assert b is not None
    assert b.cause == "none"


def test_software_paths() -> None:
    late = [RECEIVED, BREACH]
    error = obs("system.error", "2025-08-02T08:00:00+07:00", {"component": "c", "error_code": "E"})
    assert cause_of([*late, error]) == "software_error"
    before = obs("system.error", "2025-07-30T08:00:00+07:00", {"component": "c", "error_code": "E"})
    assert cause_of([*late, before]) == "official_delay"
    window = OutageWindow(
        outage_id="o", component="c", started_at=DUE - timedelta(hours=1), ended_at=DUE
    )
    assert cause_of(late, [window]) == "software_error"
    grouped = assess(D, late, [window], NOW, no_calendar)
    assert grouped is not None
    assert grouped.outage_id == "o"
    missed = window.model_copy(update={"ended_at": DUE - timedelta(minutes=1)})
    assert cause_of(late, [missed]) == "official_delay"
    mismatch = {"dossier": facts(), "flag": "deadline_mismatch"}
    flag = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", mismatch)
    assert cause_of([*late, flag]) == "software_error"
    rescheduled = {"dossier": facts(), "flag": "rescheduled_twice"}
    twice = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", rescheduled)
    assert cause_of([*late, twice]) == "official_delay"
    # The same faults with sla saying on time: not late locally, so never a software error.
    assert cause_of([RECEIVED, READY, EARLY, error, flag], [window]) != "software_error"


STREAM = [
    RECEIVED,
    READY,
    EARLY,
    obs("portal.sync_failed", "2025-08-05T09:01:00+07:00", {"status_code": 9, "error_code": "X"}),
    obs("portal.sync_succeeded", "2025-08-06T11:00:00+07:00", {"status_code": 9}),
    obs(
        "portal.snapshot",
        "2025-08-08T08:00:00+07:00",
        {"status_code": 9, "finished_at": READY.time.isoformat()},
    ),
    obs("dossier.returned", "2025-08-07T08:00:00+07:00", {"channel": "online"}),
]


@settings(max_examples=50, deadline=None)
@given(st.permutations(STREAM), st.lists(st.sampled_from(STREAM), max_size=4))
def test_the_assessment_ignores_arrival_order_and_duplicates(
    order: list[Observation], extra: list[Observation]
) -> None:
    expected = assess(D, STREAM, [], NOW, no_calendar)
    assert assess(D, [*order, *extra], [], NOW, no_calendar) == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(STREAM), min_size=1, max_size=8))
def test_a_local_view_folded_by_the_caller_gives_the_same_assessment(
    observations: list[Observation],
) -> None:
    local = local_view(observations, no_calendar)
    expected = assess(D, observations, [], NOW, no_calendar)
    given = assess(D, observations, [], NOW, no_calendar, local=local) if local else None
    assert given == expected


def test_revisions_only_on_a_change_of_cause() -> None:
    a = assess(D, [RECEIVED, BREACH], [], NOW, no_calendar)
    assert a is not None
    first, rev1 = revise(None, a, NOW)
    assert rev1 is not None
    assert rev1.revision == 1
    assert rev1.previous_cause is None
    same, none = revise(first, a, NOW + timedelta(hours=1))
    assert none is None
    assert same.revision == 1
    b = a.model_copy(update={"cause": "software_error"})
    _, rev2 = revise(same, b, NOW)
    assert rev2 is not None
    assert (rev2.revision, rev2.previous_cause) == (2, "official_delay")
    quiet = a.model_copy(update={"cause": "none"})
    row, nothing = revise(None, quiet, NOW)
    assert nothing is None
    assert row.revision == 0


def test_escalation_lifecycle_and_self_resolution() -> None:
    failed = {"status_code": 9, "error_code": "X"}
    refused = obs("portal.sync_failed", "2025-08-05T09:01:00+07:00", failed)
    a = assess(D, [RECEIVED, READY, EARLY, refused], [], NOW, no_calendar)
    assert a is not None
    assert a.cause == "sync_error"
    (opened,) = esc.plan(a, [], NOW).opened
    assert opened.id == esc.escalation_id(D, "sync_error")
    assert esc.plan(a, [opened], NOW).stored == []
    ack = esc.acknowledge(opened, NOW, "seen")
    with pytest.raises(esc.TransitionError):
        esc.acknowledge(ack, NOW, None)
    done = esc.resolve(ack, NOW, "fixed")
    with pytest.raises(esc.TransitionError):
        esc.resolve(done, NOW, None)
    caught = assess(D, STREAM, [], NOW, no_calendar)
    assert caught is not None
    assert caught.portal_caught_up
    (resolved,) = esc.plan(caught, [opened], NOW).resolved
    assert resolved.resolution == "portal_caught_up"
    assert esc.plan(caught, [done], NOW).stored == []


def test_an_escalation_whose_cause_no_longer_holds_is_withdrawn_with_the_reason() -> None:
    error = obs("system.error", "2025-08-02T08:00:00+07:00", {"component": "c", "error_code": "E"})
    late = assess(D, [RECEIVED, BREACH, error], [], NOW, no_calendar)
    assert late is not None
    (opened,) = esc.plan(late, [], NOW).opened
    moved = DUE + timedelta(days=9)
    back = assess(
        D, [RECEIVED, BREACH, error, revised("overdue", "within_time", moved)], [], NOW, no_calendar
    )
    assert back is not None
    assert back.cause == "none"
    changes = esc.plan(back, [opened], NOW)
    (withdrawn,) = changes.withdrawn
    assert withdrawn.status == "withdrawn"
    assert "within_time" in (withdrawn.withdrawn_reason or "")
    with pytest.raises(esc.TransitionError):
        esc.resolve(withdrawn, NOW, None)


def test_one_outage_is_one_escalation_listing_its_dossiers() -> None:
    window = OutageWindow(
        outage_id="o", component="c", started_at=DUE - timedelta(hours=1), ended_at=DUE
    )
    first = assess(D, [RECEIVED, BREACH], [window], NOW, no_calendar)
    assert first is not None
    (group,) = esc.plan(first, [], NOW).opened
    assert (group.outage_id, group.dossier_ids) == ("o", [D])
    other = first.model_copy(update={"dossier_id": "D2"})
    extended = esc.plan(other, [group], NOW)
    assert extended.opened == []
    (grown,) = extended.stored
    assert grown.dossier_ids == [D, "D2"]
    # D's verdict is revised to on time: it leaves the list; the escalation stays for D2.
    gone = first.model_copy(
        update={"cause": "none", "outage_id": None, "local_timeliness": "on_time"}
    )
    shrunk = esc.plan(gone, [grown], NOW)
    assert shrunk.withdrawn == []
    assert (shrunk.stored[0].dossier_ids, shrunk.stored[0].dossier_id) == (["D2"], "D2")
    last = other.model_copy(
        update={"cause": "none", "outage_id": None, "local_timeliness": "on_time"}
    )
    assert esc.plan(last, [shrunk.stored[0]], NOW).withdrawn


def test_error_code_labels_are_capped() -> None:
    registry = CollectorRegistry()
    metrics = PrometheusAuditMetrics(registry, max_error_codes=2)
    for code in ["A", "B", "C", "A", "bad code with spaces"]:
        metrics.sync_failed(code)
    value = registry.get_sample_value
    name = "dunghan_sync_audit_sync_failures_total"
    assert value(name, {"error_code": "A"}) == 2
    assert value(name, {"error_code": "other"}) == 2
    assert value(name, {"error_code": "C"}) is None


PAUSED = [
    RECEIVED,
    obs("dossier.supplement_requested", "2025-08-04T09:00:00+07:00"),
    obs("dossier.supplement_received", "2025-08-06T08:00:00+07:00"),
    obs("dossier.result_ready", "2025-08-07T09:00:00+07:00"),  # after the receipt's due
]
MOVED = DUE + timedelta(days=2)
PAUSED_ON_TIME = finished("2025-08-07T09:00:00+07:00", "early", MOVED)


def test_a_paused_dossier_finished_after_the_receipts_due_is_not_late_anywhere() -> None:
    synced = obs("portal.sync_succeeded", "2025-08-07T09:01:00+07:00", {"status_code": 9})
    a = assess(D, [*PAUSED, PAUSED_ON_TIME, synced], [], NOW, no_calendar)
    assert a is not None
    assert (a.cause, a.local_timeliness, a.portal_overdue) == ("none", "early", False)
    # The finishing status was refused and never reached the portal: a sync error.
    lost = obs(
        "portal.sync_failed", "2025-08-07T09:01:00+07:00", {"status_code": 9, "error_code": "X"}
    )
    b = assess(D, [*PAUSED, PAUSED_ON_TIME, lost], [], NOW, no_calendar)
    assert b is not None
    assert (b.cause, b.local_timeliness, b.portal_overdue) == ("sync_error", "early", True)
    late_sync = obs("portal.sync_succeeded", "2025-08-09T09:00:00+07:00", {"status_code": 9})
    c = assess(D, [*PAUSED, PAUSED_ON_TIME, late_sync], [], NOW, no_calendar)
    assert c is not None
    assert (c.cause, c.portal_overdue) == ("sync_error", True)

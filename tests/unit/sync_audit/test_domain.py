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


BREACH = breach()


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


def timeliness(observations: list[Observation], now: datetime = NOW) -> str:
    a = assess(D, observations, [], now, no_calendar)
    assert a is not None
    return a.local_timeliness


def test_local_timeliness_is_late_only_on_slas_word() -> None:
    assert timeliness([RECEIVED, READY]) == "early"
    on_due_day = obs("dossier.result_ready", "2025-08-06T09:00:00+07:00")
    assert timeliness([RECEIVED, on_due_day]) == "on_time"
    after = obs("dossier.result_ready", "2025-08-07T09:00:00+07:00")
    # After the receipt's due date, but sla did not say late (a stopped clock moved the date).
    assert timeliness([RECEIVED, after]) == "on_time"
    assert timeliness([RECEIVED, after, finished_late(after.time.isoformat())]) == "late"
    assert timeliness([RECEIVED], DUE) == "within_time"
    assert timeliness([RECEIVED]) == "within_time"  # past due, sla silent: not late
    assert timeliness([RECEIVED, BREACH]) == "overdue"
    # A breach for another due date than the one judged by is not a verdict on this one.
    moved = DUE + timedelta(days=1)
    later = obs("sla.apology_window_opened", "2025-08-06T11:00:00+07:00", {"dossier": facts(moved)})
    assert timeliness([RECEIVED, BREACH, later]) == "within_time"


def test_no_reception_no_attribution() -> None:
    assert assess(D, [READY], [], NOW, no_calendar) is None


def test_the_receipts_missing_due_date_is_computed() -> None:
    data = {k: v for k, v in RECEIVED.data.items() if k != "due_at"}
    bare = RECEIVED.model_copy(update={"data": data})
    a = assess(D, [bare], [], NOW, lambda t, v, u: t + timedelta(days=v))
    assert a is not None
    assert a.facts.due_at == RECEIVED.time + timedelta(days=3)


def test_sync_paths() -> None:
    never = [RECEIVED, READY]
    assert cause_of(never) == "sync_error"
    on_time = [
        *never,
        obs("portal.sync_succeeded", "2025-08-05T09:05:00+07:00", {"status_code": 9}),
    ]
    assert cause_of(on_time) == "none"
    late = [*never, obs("portal.sync_succeeded", "2025-08-06T10:05:00+07:00", {"status_code": 9})]
    assert cause_of(late) == "sync_error"
    snap = {"status_code": 4, "due_at": DUE.isoformat()}
    disagree = [*on_time, obs("portal.snapshot", "2025-08-07T08:00:00+07:00", snap)]
    assert cause_of(disagree) == "sync_error"


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
    missed = window.model_copy(update={"ended_at": DUE - timedelta(minutes=1)})
    assert cause_of(late, [missed]) == "official_delay"
    mismatch = {"dossier": facts(), "flag": "deadline_mismatch"}
    flag = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", mismatch)
    assert cause_of([*late, flag]) == "software_error"
    rescheduled = {"dossier": facts(), "flag": "rescheduled_twice"}
    twice = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", rescheduled)
    assert cause_of([*late, twice]) == "official_delay"
    # The same faults without sla's verdict: not late locally, so never a software error.
    assert cause_of([RECEIVED, error, flag], [window]) != "software_error"


STREAM = [
    RECEIVED,
    READY,
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
    a = assess(D, [RECEIVED, READY], [], NOW, no_calendar)
    assert a is not None
    assert a.cause == "sync_error"
    opened = esc.to_open(a, [], NOW)
    assert opened is not None
    assert opened.id == esc.escalation_id(D, "sync_error")
    assert esc.to_open(a, [opened], NOW) is None
    ack = esc.acknowledge(opened, NOW, "seen")
    with pytest.raises(esc.TransitionError):
        esc.acknowledge(ack, NOW, None)
    done = esc.resolve(ack, NOW, "fixed")
    with pytest.raises(esc.TransitionError):
        esc.resolve(done, NOW, None)
    caught = assess(D, STREAM, [], NOW, no_calendar)
    assert caught is not None
    assert caught.portal_caught_up
    (resolved,) = esc.caught_up(caught, [opened], NOW)
    assert resolved.resolution == "portal_caught_up"
    assert esc.caught_up(caught, [done], NOW) == []


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


def test_a_paused_dossier_finished_after_the_receipts_due_is_not_late_anywhere() -> None:
    synced = obs("portal.sync_succeeded", "2025-08-07T09:01:00+07:00", {"status_code": 9})
    a = assess(D, [*PAUSED, synced], [], NOW, no_calendar)
    assert a is not None
    assert (a.cause, a.local_timeliness, a.portal_overdue) == ("none", "on_time", False)
    # The finishing status never reached the portal: a sync error, not an official delay.
    lost = obs(
        "portal.sync_failed", "2025-08-07T09:01:00+07:00", {"status_code": 9, "error_code": "X"}
    )
    b = assess(D, [*PAUSED, lost], [], NOW, no_calendar)
    assert b is not None
    assert (b.cause, b.local_timeliness, b.portal_overdue) == ("sync_error", "on_time", True)
    # sla's due date (pause included) makes the portal's due date exact again.
    moved = DUE + timedelta(days=2)
    window = obs(
        "sla.apology_window_opened", "2025-08-07T08:00:00+07:00", {"dossier": facts(moved)}
    )
    late_sync = obs("portal.sync_succeeded", "2025-08-09T09:00:00+07:00", {"status_code": 9})
    c = assess(D, [*PAUSED, window, late_sync], [], NOW, no_calendar)
    assert c is not None
    assert (c.cause, c.portal_overdue) == ("sync_error", True)
    d = assess(D, [*PAUSED, window, synced], [], NOW, no_calendar)
    assert d is not None
    assert d.cause == "none"


def test_portal_only_lateness_waits_for_slas_verdict() -> None:
    stored = RECEIVED.model_copy(update={"recorded_at": NOW})
    grace = timedelta(minutes=5)
    a = assess(D, [stored], [], NOW, no_calendar, grace)
    assert a is not None
    # Open past the due date, the portal shows it unfinished: sla's breach may be in flight.
    assert (a.cause, a.portal_overdue, a.next_check_at) == ("none", True, NOW + grace)
    later = assess(D, [stored], [], NOW + grace, no_calendar, grace)
    assert later is not None
    assert later.cause == "sync_error"
    verdict = assess(D, [stored, BREACH], [], NOW, no_calendar, grace)
    assert verdict is not None
    assert verdict.cause == "official_delay"
    # Live: the due time itself starts the wait, whenever the events came.
    at_due = assess(D, [RECEIVED], [], DUE + timedelta(minutes=1), no_calendar, grace)
    assert at_due is not None
    assert (at_due.cause, at_due.next_check_at) == ("none", DUE + grace)
    # Finished before the due date: sla cannot call it late, no wait.
    lost = obs(
        "portal.sync_failed", "2025-08-05T09:01:00+07:00", {"status_code": 9, "error_code": "X"}
    )
    early = assess(D, [stored, READY, lost], [], NOW, no_calendar, grace)
    assert early is not None
    assert early.cause == "sync_error"


def test_the_grace_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from sync_audit.settings import AuditSettings

    assert AuditSettings().local_verdict_grace_s == 300
    monkeypatch.setenv("DUNGHAN_AUDIT_LOCAL_VERDICT_GRACE_S", "45")
    assert AuditSettings().local_verdict_grace_s == 45

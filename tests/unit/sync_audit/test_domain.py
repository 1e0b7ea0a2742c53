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
from sync_audit.domain.attribution import assess, decide, local_timeliness
from sync_audit.domain.model import Observation, OutageWindow
from sync_audit.domain.revisions import revise

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


def test_local_timeliness_follows_the_due_day_and_time() -> None:
    assert local_timeliness(DUE, DUE - timedelta(days=1), NOW) == "early"
    assert local_timeliness(DUE, DUE - timedelta(hours=1), NOW) == "on_time"
    assert local_timeliness(DUE, DUE + timedelta(seconds=1), NOW) == "late"
    assert local_timeliness(DUE, None, DUE) == "within_time"
    assert local_timeliness(DUE, None, NOW) == "overdue"


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
    error = obs("system.error", "2025-08-02T08:00:00+07:00", {"component": "c", "error_code": "E"})
    assert cause_of([RECEIVED, error]) == "software_error"
    before = obs("system.error", "2025-07-30T08:00:00+07:00", {"component": "c", "error_code": "E"})
    assert cause_of([RECEIVED, before]) == "official_delay"
    window = OutageWindow(
        outage_id="o", component="c", started_at=DUE - timedelta(hours=1), ended_at=DUE
    )
    assert cause_of([RECEIVED], [window]) == "software_error"
    missed = window.model_copy(update={"ended_at": DUE - timedelta(minutes=1)})
    assert cause_of([RECEIVED], [missed]) == "official_delay"
    flag = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", {"flag": "deadline_mismatch"})
    assert cause_of([RECEIVED, flag]) == "software_error"
    twice = obs("sla.flag_raised", "2025-08-01T10:00:00+07:00", {"flag": "rescheduled_twice"})
    assert cause_of([RECEIVED, twice]) == "official_delay"


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


def test_revisions_only_on_a_change_of_cause() -> None:
    a = assess(D, [RECEIVED], [], NOW, no_calendar)
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

"""The evidence timeline of an attribution: what happened, in event-time order."""

from __future__ import annotations

from collections.abc import Sequence

from dunghan_common.events.findings import Evidence

from sync_audit.domain.model import Observation, OutageWindow
from sync_audit.domain.views import LocalView, PortalView, SlaVerdict

MAX_EVIDENCE = 200
#: Sync attempts are the only unbounded kind (retry storms); the others are kept in full.
_MAX_CORE = 120
_UNKNOWN_DUE = "receipt's due date; the clock stopped since, sla has not published the moved date"


def build_evidence(
    local: LocalView,
    portal: PortalView,
    errors: Sequence[Observation],
    windows: Sequence[OutageWindow],
    flags: Sequence[Observation],
    late_on_portal: bool,
    sync_evidence: Sequence[str] = (),
) -> list[Evidence]:
    """Every fact that decided the cause, sorted by time, at most ``MAX_EVIDENCE`` entries."""
    core = [_event_entry(o) for o in local.history]
    due_detail = "due date judged by" if local.due_known else _UNKNOWN_DUE
    core.append(Evidence(time=local.facts.due_at, kind="due", detail=due_detail))
    if local.verdict is not None:
        core.append(_verdict_entry(local.verdict))
    if sync_evidence:
        detail = "portal evidence: " + ", ".join(sync_evidence)
        core.append(Evidence(time=portal.due_at, kind="portal_evidence", detail=detail))
    core += [_error_entry(o) for o in errors]
    core += [_outage_entry(w) for w in windows]
    core += [_flag_entry(o) for o in flags]
    core += [_snapshot_entry(o) for o in portal.snapshots]
    if late_on_portal and portal.finished_at is None:
        core.append(
            Evidence(
                time=portal.due_at,
                kind="portal_overdue",
                detail="the portal shows the dossier unfinished past its due date",
            )
        )
    core = sorted(core, key=lambda e: e.time)[:_MAX_CORE]
    syncs = [_sync_entry(o) for o in portal.syncs]
    # Keep the most recent attempts: they tell whether the portal ever got the finishing status.
    room = MAX_EVIDENCE - len(core)
    kept = syncs[-room:] if room > 0 else []
    return sorted(core + kept, key=lambda e: e.time)


_SAID = {
    "overdue": "still open after the due date judged by",
    "late": "finished after the due date judged by",
    "on_time": "finished on the due day, in time",
    "early": "finished before the due day",
    "within_time": "within time: the due date judged by has not passed",
}


def _verdict_entry(verdict: SlaVerdict) -> Evidence:
    o = verdict.announcement
    due = "-" if verdict.due_at is None else verdict.due_at.isoformat()
    detail = f"sla: {_SAID[verdict.timeliness]} ({due})"
    return Evidence(time=o.time, kind=o.type, detail=detail)


def _event_entry(o: Observation) -> Evidence:
    detail = o.type.removeprefix("dossier.")
    if o.type == "dossier.received":
        detail = f"received for unit {o.data['unit_code']}"
    elif o.type == "dossier.transferred":
        detail = f"transferred to unit {o.data['to_unit_code']}"
    return Evidence(time=o.time, kind=o.type, detail=detail)


def _sync_entry(o: Observation) -> Evidence:
    code = o.data["status_code"]
    if o.type == "portal.sync_failed":
        detail = f"status {code} not pushed: error {o.data['error_code']}"
    else:
        detail = f"status {code} pushed"
    return Evidence(time=o.time, kind=o.type, detail=detail)


def _snapshot_entry(o: Observation) -> Evidence:
    d = o.data
    detail = (
        f"portal shows status {d['status_code']}, due {d.get('due_at') or '-'}, "
        f"finished {d.get('finished_at') or '-'}"
    )
    return Evidence(time=o.time, kind="portal.snapshot", detail=detail)


def _error_entry(o: Observation) -> Evidence:
    detail = f"{o.data['component']} error {o.data['error_code']} while the dossier was open"
    return Evidence(time=o.time, kind="system.error", detail=detail)


def _outage_entry(w: OutageWindow) -> Evidence:
    until = w.ended_at.isoformat() if w.ended_at else "not ended"
    detail = f"{w.component} outage {w.outage_id} until {until} covers the due time"
    assert w.started_at is not None  # only windows that cover an instant are passed
    return Evidence(time=w.started_at, kind="outage", detail=detail)


def _flag_entry(o: Observation) -> Evidence:
    detail = f"{o.data['flag']}: {o.data.get('detail', '')}".strip()
    return Evidence(time=o.time, kind="flag", detail=detail[:500])

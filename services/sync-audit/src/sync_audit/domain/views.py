"""The two views of a dossier, folded from its stored events by event time (never arrival order).

The province's view comes from the `dossier.*` events (and the facts of `sla.*` alerts); the
portal's view from successful syncs and portal snapshots. Folding the whole stored history each
time makes late, duplicated and out-of-order events harmless: the result depends on the set of
events only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from dunghan_common.events.findings import DossierFacts, Timeliness
from pydantic import AwareDatetime

from sync_audit.domain.model import FINISHING_STATUSES, Observation, _Frozen

#: Computes a due date from (received_at, time_limit value, time_limit unit) when none is given.
DueCalculator = Callable[[datetime, int, str], datetime]

#: sla's announcements of a verdict (docs/domain.md §4 is sla's to apply, not ours): the latest
#: is the local verdict. Of two, the one decided with more of the dossier's events applied wins.
ANNOUNCEMENTS = frozenset(
    {"sla.deadline_breached", "sla.finished_late", "sla.finished", "sla.verdict_revised"}
)
#: Ties (the same events applied): a revision, then an end, then a late end, then a breach.
_ANNOUNCEMENT_RANK = {
    "sla.deadline_breached": 0,
    "sla.finished_late": 1,
    "sla.finished": 2,
    "sla.verdict_revised": 3,
}
#: Events that stop the clock (and restart it): the due date moves by a time only sla computes.
_STOPS = frozenset({"dossier.supplement_requested", "dossier.paused"})
_RESTARTS = frozenset({"dossier.supplement_received", "dossier.resumed"})

#: End of processing (docs/domain.md §4): result_ready first, else returned, else the other ends.
_END_RANK = {
    "dossier.result_ready": 0,
    "dossier.returned": 1,
    "dossier.stopped": 2,
    "dossier.refused": 2,
    "dossier.withdrawn": 2,
}


class SlaVerdict(_Frozen):
    """sla's latest announced verdict on a dossier: a timeliness and the due date it judged."""

    timeliness: Timeliness
    due_at: AwareDatetime | None
    announcement: Observation


class LocalView(_Frozen):
    """What the province's system knows of a dossier."""

    facts: DossierFacts
    finished_at: AwareDatetime | None
    end_event: str | None
    history: list[Observation]
    system_errors: list[Observation]
    flags: list[Observation]
    #: sla's latest announced verdict; None while sla has announced nothing of this dossier
    verdict: SlaVerdict | None
    #: whether ``facts.due_at`` is the exact due date sla judges by (else only a lower bound:
    #: the clock stopped and sla has not published the moved date)
    due_known: bool
    #: when the latest `dossier.*` event was stored here (sla's verdict on it may be in flight)
    recorded_at: AwareDatetime | None


class PortalView(_Frozen):
    """What the national portal (DVCQG) shows of a dossier, as far as syncs and snapshots tell."""

    syncs: list[Observation]
    snapshots: list[Observation]
    finished_at: AwareDatetime | None
    due_at: AwareDatetime
    #: False when the due date is only a lower bound (see `LocalView.due_known`)
    due_known: bool
    finish_source: str | None


def _time_order(observations: Sequence[Observation]) -> list[Observation]:
    """Events by event time, each once; the key breaks ties so the fold is deterministic."""
    unique = {o.event_key: o for o in observations}
    return sorted(unique.values(), key=lambda o: (o.time, o.event_key))


def local_view(observations: Sequence[Observation], compute_due: DueCalculator) -> LocalView | None:
    """Fold the province's view; ``None`` while neither reception nor an sla alert is known."""
    ordered = _time_order(observations)
    facts = _facts(ordered, compute_due)
    if facts is None:
        return None
    ends = [o for o in ordered if o.type in _END_RANK]
    end = min(ends, key=lambda o: (_END_RANK[o.type], o.time)) if ends else None
    history = [o for o in ordered if o.type.startswith("dossier.")]
    recorded = [o.recorded_at for o in history if o.recorded_at is not None]
    return LocalView(
        facts=facts,
        finished_at=end.time if end else None,
        end_event=end.type if end else None,
        history=history,
        system_errors=[o for o in ordered if o.type == "system.error"],
        flags=[o for o in ordered if o.type == "sla.flag_raised"],
        verdict=announced_verdict(ordered),
        due_known=_due_known(ordered, history),
        recorded_at=max(recorded) if recorded else None,
    )


def _due_known(ordered: list[Observation], history: list[Observation]) -> bool:
    """Whether the judged due date is exact: the clock never stopped, or sla spoke after it ran
    again (sla's facts carry the moved date; while paused they carry the date without the pause).
    """
    clock = [o for o in history if o.type in _STOPS | _RESTARTS]
    if not clock:
        return True
    alerts = [o for o in ordered if o.type.startswith("sla.") and "dossier" in o.data]
    return bool(alerts) and clock[-1].type in _RESTARTS and alerts[-1].time >= clock[-1].time


def announced_verdict(ordered: Sequence[Observation]) -> SlaVerdict | None:
    """sla's latest verdict among its announcements (breach, end, late end, revision)."""
    said = [o for o in ordered if o.type in ANNOUNCEMENTS]
    if not said:
        return None
    latest = max(said, key=_announcement_order)
    data = latest.data
    if latest.type == "sla.verdict_revised":
        current = data["current"]
        due = current.get("due_at")
        return SlaVerdict(
            timeliness=current["timeliness"],
            due_at=None if due is None else _parse(due),
            announcement=latest,
        )
    timeliness: Timeliness = {
        "sla.deadline_breached": "overdue",
        "sla.finished_late": "late",
    }.get(latest.type) or data["timeliness"]  # type: ignore[assignment]
    return SlaVerdict(
        timeliness=timeliness, due_at=_parse(data["dossier"]["due_at"]), announcement=latest
    )


def _announcement_order(o: Observation) -> tuple[int, int, datetime]:
    applied = o.data.get("dossier", {}).get("events_applied")
    return (-1 if applied is None else int(applied), _ANNOUNCEMENT_RANK[o.type], o.time)


def _facts(ordered: list[Observation], compute_due: DueCalculator) -> DossierFacts | None:
    """The dossier's facts: from reception, the judged due date from sla when it has spoken."""
    received = next((o for o in ordered if o.type == "dossier.received"), None)
    alerts = [o for o in ordered if o.type.startswith("sla.") and "dossier" in o.data]
    newest = max(alerts, key=_facts_order) if alerts else None
    sla_facts = DossierFacts.model_validate(newest.data["dossier"]) if newest else None
    if received is None:
        return sla_facts
    data = received.data
    due = _judged_due(received, sla_facts, compute_due)
    return DossierFacts(
        unit_code=_current_unit(ordered, data["unit_code"]),
        receiving_unit_code=data.get("receiving_unit_code"),
        procedure_code=data["procedure"]["code"],
        procedure_name=data["procedure"].get("name"),
        channel=data.get("channel"),
        received_at=received.time,
        due_at=due,
        computed_due_at=sla_facts.computed_due_at if sla_facts else None,
        promised_due_at=sla_facts.promised_due_at if sla_facts else None,
        assignee_id=(data.get("assignee") or {}).get("id"),
    )


def _facts_order(o: Observation) -> tuple[int, datetime]:
    applied = o.data["dossier"].get("events_applied")
    return (-1 if applied is None else int(applied), o.time)


def _judged_due(
    received: Observation, sla_facts: DossierFacts | None, compute_due: DueCalculator
) -> datetime:
    """sla's judged due date (pauses included), else the receipt's, else computed here."""
    if sla_facts is not None:
        return sla_facts.due_at
    if received.data.get("due_at"):
        return _parse(received.data["due_at"])
    limit = received.data["time_limit"]
    return compute_due(received.time, int(limit["value"]), str(limit["unit"]))


def _current_unit(ordered: list[Observation], unit: str) -> str:
    """The processing unit after the transfers, in event-time order."""
    for o in ordered:
        if o.type == "dossier.transferred":
            unit = o.data["to_unit_code"]
    return unit


def portal_view(
    observations: Sequence[Observation], local_due: datetime, local_due_known: bool = True
) -> PortalView:
    """Fold the portal's view: its finish time and due date as its syncs and snapshots show.

    The portal scores the source's appointment moved by the stopped clock, as sla does: without a
    snapshot naming its due date, the portal's due date is the local one (known or a lower bound).
    """
    ordered = _time_order(observations)
    syncs = [o for o in ordered if o.type in ("portal.sync_succeeded", "portal.sync_failed")]
    snapshots = [o for o in ordered if o.type == "portal.snapshot"]
    pushed = [
        o
        for o in syncs
        if o.type == "portal.sync_succeeded" and o.data["status_code"] in FINISHING_STATUSES
    ]
    # The portal takes the sync time of the finishing status as the finish time.
    finished_at, source = (pushed[0].time, "sync") if pushed else (None, None)
    due_at, known = local_due, local_due_known
    last = snapshots[-1] if snapshots else None
    if last is not None:
        if last.data.get("due_at"):
            due_at, known = _parse(last.data["due_at"]), True
        if finished_at is None or last.time >= finished_at:
            finished_at, source = _snapshot_finish(last, finished_at)
    return PortalView(
        syncs=syncs,
        snapshots=snapshots,
        finished_at=finished_at,
        due_at=due_at,
        due_known=known,
        finish_source=source,
    )


def _snapshot_finish(
    snapshot: Observation, synced_finish: datetime | None
) -> tuple[datetime | None, str | None]:
    """The finish time a snapshot shows; a snapshot taken after the sync is the latest word."""
    if snapshot.data["status_code"] not in FINISHING_STATUSES:
        return None, None
    if snapshot.data.get("finished_at"):
        return _parse(snapshot.data["finished_at"]), "snapshot"
    return (synced_finish or snapshot.time), "snapshot"


def _parse(value: Any) -> datetime:
    """An RFC 3339 string (as stored in JSON) or a datetime, as an aware datetime."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))

"""Alerts onto `sla-alerts`: typed data of `dunghan_common.events.findings`, deterministic ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dunghan_common.events import event_types as t
from dunghan_common.events.findings import (
    ApologyWindowOpened,
    DeadlineBreached,
    DossierFacts,
    FinishedLate,
    FlagRaised,
)
from pydantic import BaseModel, ConfigDict

from sla.domain.model import DossierState
from sla.domain.timers import occasion_of

_FLAG_DETAIL = {
    "deadline_mismatch": "the source's appointment differs from the computed due date",
    "supplement_requested_twice": "a supplement was requested a second time",
    "rescheduled_twice": "the appointment was rescheduled a second time",
    "beyond_calendar_horizon": "the due date falls after the last day an official calendar "
    "notice was read for",
    "due_outside_calendar": "the due date falls outside the years the working calendar covers",
    "time_limit_inferred": "the procedure is not in the portal format's catalogue: the time limit "
    "was inferred from the appointment",
    "time_from_arrival": "a change in the portal format had no date of its own: the time it "
    "arrived was used",
    "unknown_unit": "the processing unit named in the portal format is not in the unit directory",
    "unknown_channel": "the portal format's channel was missing or unknown: in person assumed",
    "unknown_payment": "the portal format's online-payment code was unknown",
}


class Alert(BaseModel):
    """One alert to emit once per (dossier, kind, occasion)."""

    model_config = ConfigDict(frozen=True)

    dossier_id: str
    type: str
    kind: str
    occasion: str
    time: dt.datetime
    data: dict[str, Any]

    @property
    def event_id(self) -> str:
        """Deterministic: a replayed alert has the same id."""
        return f"{self.dossier_id}:{self.kind}:{self.occasion}"


def facts(state: DossierState) -> DossierFacts | None:
    """What letters and reminders need; None before reception."""
    if state.received_at is None or state.due_at is None or state.unit_code is None:
        return None
    return DossierFacts(
        unit_code=state.unit_code,
        receiving_unit_code=state.receiving_unit_code,
        procedure_code=state.procedure_code or "unknown",
        procedure_name=state.procedure_name,
        channel=state.channel if state.channel in ("online", "in_person", "postal") else None,
        received_at=state.received_at,
        due_at=state.due_at,
        computed_due_at=state.computed_due_at,
        promised_due_at=state.promised_due_at,
        assignee_id=state.assignee_id,
        events_applied=state.event_count,
    )


def projection_alerts(state: DossierState) -> list[Alert]:
    """The alerts the fold itself raises: one per flag, and finished late."""
    about = facts(state)
    if about is None:
        return []
    alerts = [_flag(state, about, name, at) for name, at in sorted(state.flags.items())]
    if state.finished_timeliness == "late" and state.finished_at is not None:
        data = FinishedLate(
            dossier=about, finished_at=state.finished_at, end_event=state.end_event or "unknown"
        )
        late = _alert(state.dossier_id, t.SLA_FINISHED_LATE, "finished_late", about, data)
        alerts.append(late.model_copy(update={"time": state.finished_at}))
    return alerts


def timer_alert(
    state: DossierState, kind: str, due_at: dt.datetime, fire_at: dt.datetime
) -> Alert | None:
    """The alert of a fired timer (apology window or breach) for the due date it was set for."""
    about = facts(state)
    if about is None:
        return None
    about = about.model_copy(update={"due_at": due_at})
    if kind == "breach":
        data: BaseModel = DeadlineBreached(dossier=about, breached_at=due_at)
        return _alert(state.dossier_id, t.SLA_DEADLINE_BREACHED, kind, about, data)
    window = ApologyWindowOpened(dossier=about, window_opened_at=fire_at)
    alert = _alert(state.dossier_id, t.SLA_APOLOGY_WINDOW_OPENED, kind, about, window)
    return alert.model_copy(update={"time": fire_at})


def _flag(state: DossierState, about: DossierFacts, name: str, at: dt.datetime) -> Alert:
    data = FlagRaised(dossier=about, flag=name, detail=_FLAG_DETAIL[name], raised_at=at)
    return Alert(
        dossier_id=state.dossier_id,
        type=t.SLA_FLAG_RAISED,
        kind="flag",
        occasion=name,
        time=at,
        data=data.model_dump(mode="json"),
    )


def _alert(
    dossier_id: str, event_type: str, kind: str, about: DossierFacts, data: BaseModel
) -> Alert:
    due = about.due_at
    return Alert(
        dossier_id=dossier_id,
        type=event_type,
        kind=kind,
        occasion=occasion_of(due),
        time=due,
        data=data.model_dump(mode="json"),
    )

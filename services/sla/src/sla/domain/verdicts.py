"""sla's announcements of verdicts: every end of processing, and every change of a verdict.

A verdict is a timeliness with the due date it was judged against. sla remembers the last one it
announced for each dossier (a breach alert, an end of processing, a revision) and compares the
dossier's new state with it after every fold: late events that overturn what was said are
announced once (`sla.verdict_revised`), and every end of processing is announced whatever its
timeliness (`sla.finished`), so no consumer has to read silence as "on time".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dunghan_common.events import event_types as t
from dunghan_common.events.findings import Finished, Verdict, VerdictRevised

from sla.domain.alerts import Alert, facts
from sla.domain.assess import timeliness
from sla.domain.model import DossierState, Timeliness

_FINISHED: frozenset[str] = frozenset({"early", "on_time", "late"})
#: Changes that are the ordinary course of a dossier, not revisions of what was said.
_NATURAL: frozenset[tuple[str, str]] = frozenset(
    {("within_time", "overdue"), ("overdue", "late")} | {("within_time", f) for f in _FINISHED}
)
MAX_CAUSES = 50


@dataclass(frozen=True, slots=True)
class Announced:
    """The verdict sla last announced for a dossier, and how many revisions it announced."""

    timeliness: Timeliness
    due_at: dt.datetime | None
    revision: int = 0

    def to_json(self) -> dict[str, Any]:
        """The stored form (``sla_dossiers.verdict``)."""
        due = None if self.due_at is None else self.due_at.isoformat()
        return {"t": self.timeliness, "due": due, "n": self.revision}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Announced:
        """The stored form back."""
        due = data.get("due")
        return cls(data["t"], None if due is None else dt.datetime.fromisoformat(due), data["n"])


@dataclass(frozen=True, slots=True)
class Announcement:
    """What a fold announces: the alerts, and the verdict to remember (None: unchanged)."""

    alerts: list[Alert]
    verdict: Announced | None


def announce(
    previous: Announced | None,
    state: DossierState,
    now: dt.datetime,
    caused_by: Sequence[str] = (),
) -> Announcement:
    """The announcements a dossier's new state calls for, given what was announced before."""
    about = facts(state)
    current = timeliness(state, now)
    if about is None or current is None:
        return Announcement([], None)
    alerts: list[Alert] = []
    verdict = previous
    finished = state.finished_timeliness
    if finished is not None and state.finished_at is not None:
        if previous is None or previous.timeliness not in _FINISHED:
            data = Finished(
                dossier=about,
                finished_at=state.finished_at,
                end_event=state.end_event or "unknown",
                timeliness=finished,
            )
            alerts.append(_alert(state, t.SLA_FINISHED, "finished", "end", state.finished_at, data))
        verdict = Announced(finished, state.due_at, previous.revision if previous else 0)
    if previous is not None and revised(previous, current, state.due_at):
        number = previous.revision + 1
        data_r = VerdictRevised(
            dossier=about,
            revision=number,
            previous=Verdict(timeliness=previous.timeliness, due_at=previous.due_at),
            current=Verdict(timeliness=current, due_at=state.due_at),
            caused_by=list(caused_by)[-MAX_CAUSES:],
            revised_at=now,
        )
        alerts.append(_alert(state, t.SLA_VERDICT_REVISED, "revised", str(number), now, data_r))
        verdict = Announced(current, state.due_at, number)
    return Announcement(alerts, verdict if verdict != previous else None)


def revised(previous: Announced, current: Timeliness, due_at: dt.datetime | None) -> bool:
    """Whether ``current`` (judged against ``due_at``) revises what was announced.

    The ordinary course (within time → overdue → late, within time → finished) is no revision;
    anything else that changes the timeliness is, and so is a judged due date that moved after
    a late verdict or an end of processing was announced.
    """
    if previous.timeliness == "within_time":
        return False  # nothing late or final was said since the last revision
    if (previous.timeliness, current) in _NATURAL:
        return previous.due_at != due_at
    return previous.timeliness != current or previous.due_at != due_at


def _alert(
    state: DossierState,
    event_type: str,
    kind: str,
    occasion: str,
    time: dt.datetime,
    data: Finished | VerdictRevised,
) -> Alert:
    return Alert(
        dossier_id=state.dossier_id,
        type=event_type,
        kind=kind,
        occasion=occasion,
        time=time,
        data=data.model_dump(mode="json"),
    )

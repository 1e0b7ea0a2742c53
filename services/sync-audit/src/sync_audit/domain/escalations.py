"""Escalations to DOST: opened on a software or sync fault, one per outage, withdrawn when the
cause no longer holds, resolved when the portal catches up or DOST says so (docs/domain.md §6)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sync_audit.domain.model import ESCALATED_CAUSES, Assessment, EscalatedCause, Escalation


class TransitionError(Exception):
    """An escalation cannot move from its status to the one asked (HTTP 409)."""


def escalation_id(subject: str, cause: str) -> str:
    """Deterministic id: one escalation per dossier (or outage) and cause, on every replay."""
    digest = hashlib.sha256(f"{subject}|{cause}".encode()).hexdigest()[:24]
    return f"esc_{digest}"


def outage_escalation_id(outage_id: str) -> str:
    """The id of the one escalation of an outage's software faults."""
    return escalation_id(f"outage:{outage_id}", "software_error")


@dataclass
class Changes:
    """What one assessment changes: escalations to store, and which of them to announce how."""

    stored: list[Escalation] = field(default_factory=list)
    opened: list[Escalation] = field(default_factory=list)
    resolved: list[Escalation] = field(default_factory=list)
    withdrawn: list[Escalation] = field(default_factory=list)

    def keep(self, e: Escalation) -> None:
        """Store ``e`` (the latest version of an escalation replaces an earlier one)."""
        self.stored = [s for s in self.stored if s.id != e.id] + [e]


def plan(a: Assessment, existing: Sequence[Escalation], now: datetime) -> Changes:
    """The escalation changes an assessment calls for.

    ``existing``: every escalation touching the dossier, and the escalation of the outage the
    assessment names (if any). The portal catching up resolves a sync escalation (it wins over a
    withdrawal); a cause that no longer holds withdraws one, with the reason; an outage's
    escalation loses the dossier and is withdrawn only when it has none left.
    """
    changes = Changes()
    for e in existing:
        if e.closed or not e.touches(a.dossier_id):
            continue
        if e.cause == "sync_error" and a.portal_caught_up:
            changes.keep(_resolved(e, now))
            changes.resolved.append(changes.stored[-1])
        elif not _still_holds(e, a):
            _withdraw(changes, e, a, now)
    _open(changes, a, [*changes.stored, *(e for e in existing if e.id not in _ids(changes))], now)
    return changes


def _ids(changes: Changes) -> set[str]:
    return {e.id for e in changes.stored}


def _still_holds(e: Escalation, a: Assessment) -> bool:
    """Whether the dossier's current cause is still what ``e`` escalates."""
    if e.cause != a.cause:
        return False
    if e.outage_id is None:
        return True
    return a.outage_id == e.outage_id


def _withdraw(changes: Changes, e: Escalation, a: Assessment, now: datetime) -> None:
    reason = (
        f"{a.dossier_id}: the cause is now {a.cause} (sla's verdict: {a.local_timeliness}), "
        f"no longer {e.cause}"
    )
    remaining = [d for d in e.dossier_ids if d != a.dossier_id]
    if e.outage_id is not None and remaining:
        changes.keep(e.model_copy(update={"dossier_id": remaining[0], "dossier_ids": remaining}))
        return
    withdrawn = e.model_copy(
        update={"status": "withdrawn", "withdrawn_at": now, "withdrawn_reason": reason}
    )
    changes.keep(withdrawn)
    changes.withdrawn.append(withdrawn)


def _open(changes: Changes, a: Assessment, known: Sequence[Escalation], now: datetime) -> None:
    """Open, reopen or extend the escalation of an escalated cause."""
    if a.cause not in ESCALATED_CAUSES:
        return
    cause: EscalatedCause = "software_error" if a.cause == "software_error" else "sync_error"
    own = escalation_id(a.dossier_id, cause)
    by_id = {e.id: e for e in known}
    if own in by_id or a.outage_id is None or cause != "software_error":
        current = by_id.get(own)
        if current is None or current.status == "withdrawn":
            _opened(changes, _new(a, own, cause, now, None, [a.dossier_id]))
        return
    group = outage_escalation_id(a.outage_id)
    current = by_id.get(group)
    if current is None or current.status == "withdrawn":
        _opened(changes, _new(a, group, cause, now, a.outage_id, [a.dossier_id]))
    elif a.dossier_id not in current.dossier_ids:
        changes.keep(
            current.model_copy(update={"dossier_ids": [*current.dossier_ids, a.dossier_id]})
        )


def _opened(changes: Changes, e: Escalation) -> None:
    changes.keep(e)
    changes.opened.append(e)


def _new(
    a: Assessment,
    escalation: str,
    cause: EscalatedCause,
    now: datetime,
    outage_id: str | None,
    dossier_ids: list[str],
) -> Escalation:
    return Escalation(
        id=escalation,
        dossier_id=dossier_ids[0],
        unit_code=a.facts.unit_code,
        cause=cause,
        status="open",
        summary=summary(a),
        opened_at=now,
        outage_id=outage_id,
        dossier_ids=dossier_ids,
    )


def _resolved(e: Escalation, now: datetime) -> Escalation:
    return e.model_copy(
        update={"status": "resolved", "resolved_at": now, "resolution": "portal_caught_up"}
    )


def acknowledge(escalation: Escalation, now: datetime, note: str | None) -> Escalation:
    """open → acknowledged; anything else is an invalid transition."""
    if escalation.status != "open":
        raise TransitionError(f"cannot acknowledge an escalation that is {escalation.status}")
    return escalation.model_copy(
        update={"status": "acknowledged", "acknowledged_at": now, "note": note}
    )


def resolve(escalation: Escalation, now: datetime, note: str | None) -> Escalation:
    """open or acknowledged → resolved (manual); a resolved or withdrawn one stays as it is."""
    if escalation.closed:
        raise TransitionError(f"the escalation is already {escalation.status}")
    return escalation.model_copy(
        update={"status": "resolved", "resolved_at": now, "resolution": "manual", "note": note}
    )


def summary(assessment: Assessment) -> str:
    """One line for DOST: the cause and the deciding evidence kinds."""
    kinds = sorted({e.kind for e in assessment.evidence if not e.kind.startswith("dossier.")})
    if assessment.cause == "sync_error":
        what = "on time locally but late on the portal"
    elif assessment.outage_id is not None:
        what = f"late locally, due during outage {assessment.outage_id}"
    else:
        what = "late locally after a software fault"
    return f"{assessment.cause}: {what} (evidence: {', '.join(kinds) or 'none'})"

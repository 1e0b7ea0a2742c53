"""Escalations to DOST: when to open one, when a sync one resolves itself, the manual lifecycle."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sync_audit.domain.model import ESCALATED_CAUSES, Assessment, EscalatedCause, Escalation


class TransitionError(Exception):
    """An escalation cannot move from its status to the one asked (HTTP 409)."""


def escalation_id(dossier_id: str, cause: str) -> str:
    """Deterministic id: one escalation per dossier and cause, the same on every replay."""
    digest = hashlib.sha256(f"{dossier_id}|{cause}".encode()).hexdigest()[:24]
    return f"esc_{digest}"


def to_open(
    assessment: Assessment, existing: Sequence[Escalation], now: datetime
) -> Escalation | None:
    """A new escalation when the cause is escalated and none exists yet for it.

    One per (dossier, cause), ever: a resolved one is not reopened when the cause comes back.
    """
    cause = assessment.cause
    if cause not in ESCALATED_CAUSES or any(e.cause == cause for e in existing):
        return None
    escalated: EscalatedCause = "software_error" if cause == "software_error" else "sync_error"
    return Escalation(
        id=escalation_id(assessment.dossier_id, cause),
        dossier_id=assessment.dossier_id,
        unit_code=assessment.facts.unit_code,
        cause=escalated,
        status="open",
        summary=summary(assessment),
        opened_at=now,
    )


def caught_up(
    assessment: Assessment, existing: Sequence[Escalation], now: datetime
) -> list[Escalation]:
    """Sync escalations that resolve themselves: the portal now has the finish, on time."""
    if not assessment.portal_caught_up:
        return []
    return [
        e.model_copy(
            update={"status": "resolved", "resolved_at": now, "resolution": "portal_caught_up"}
        )
        for e in existing
        if e.cause == "sync_error" and e.status != "resolved"
    ]


def acknowledge(escalation: Escalation, now: datetime, note: str | None) -> Escalation:
    """open → acknowledged; anything else is an invalid transition."""
    if escalation.status != "open":
        raise TransitionError(f"cannot acknowledge an escalation that is {escalation.status}")
    return escalation.model_copy(
        update={"status": "acknowledged", "acknowledged_at": now, "note": note}
    )


def resolve(escalation: Escalation, now: datetime, note: str | None) -> Escalation:
    """open or acknowledged → resolved (manual); a resolved one stays as it is."""
    if escalation.status == "resolved":
        raise TransitionError("the escalation is already resolved")
    return escalation.model_copy(
        update={"status": "resolved", "resolved_at": now, "resolution": "manual", "note": note}
    )


def summary(assessment: Assessment) -> str:
    """One line for DOST: the cause and the deciding evidence kinds."""
    kinds = sorted({e.kind for e in assessment.evidence if not e.kind.startswith("dossier.")})
    if assessment.cause == "sync_error":
        what = "on time locally but late on the portal"
    else:
        what = "late locally after a software fault"
    return f"{assessment.cause}: {what} (evidence: {', '.join(kinds) or 'none'})"

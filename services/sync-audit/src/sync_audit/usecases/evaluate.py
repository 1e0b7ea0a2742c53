"""Re-attribute a set of dossiers inside the caller's unit of work, queueing what changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dunghan_common.events import event_types as t
from dunghan_common.events.findings import BreachAttributed, EscalationOpened, EscalationResolved

from sync_audit.domain import escalations as esc
from sync_audit.domain.attribution import assess
from sync_audit.domain.model import (
    Assessment,
    AttributionHead,
    CurrentAttribution,
    Escalation,
    Revision,
)
from sync_audit.domain.revisions import revise
from sync_audit.domain.views import DueCalculator, local_view
from sync_audit.ports import AuditUnitOfWork

_IDS = uuid.UUID("5b0c7d0e-2f0a-4f7e-9f55-0d1c8a3e5a02")


def finding_id(*parts: object) -> str:
    """A deterministic event id: a replay of the same change carries the same id."""
    return str(uuid.uuid5(_IDS, "|".join(str(p) for p in parts)))


@dataclass
class Outcome:
    """What one evaluation changed, for metrics after the commit."""

    revised_causes: list[str] = field(default_factory=list)
    escalations_changed: int = 0


async def evaluate(
    uow: AuditUnitOfWork,
    dossier_ids: Sequence[str],
    now: datetime,
    compute_due: DueCalculator,
    grace: timedelta,
) -> Outcome:
    """Attribute the dossiers at ``now``; store revisions and escalations; queue the findings.

    ``grace``: how long sla's lateness verdict may be in flight (see `assess`).
    """
    ids = sorted(set(dossier_ids))
    outcome = Outcome()
    if not ids:
        return outcome
    repo = uow.repo
    await repo.lock_dossiers(ids)
    observations = await repo.observations_of(ids)
    current = await repo.attribution_heads_of(ids)
    existing = await repo.escalations_of(ids)
    # The local views give the due times, so one query fetches the windows; folded once.
    views = {d: local_view(observations.get(d, []), compute_due) for d in ids}
    outages = await repo.outages_covering([v.facts.due_at for v in views.values() if v])
    rows: list[CurrentAttribution] = []
    revisions: list[Revision] = []
    changed: list[Escalation] = []
    for dossier_id in ids:
        local = views[dossier_id]
        if local is None:
            continue
        a = assess(
            dossier_id, observations.get(dossier_id, []), outages, now, compute_due, grace, local
        )
        if a is None:
            continue
        rows.append(await _revise(uow, a, current.get(dossier_id), now, revisions))
        changed += await _escalate(uow, a, existing.get(dossier_id, []), now)
    await repo.save_attributions(rows)
    await repo.add_revisions(revisions)
    outcome.revised_causes = [r.cause for r in revisions]
    await repo.save_escalations(changed)
    outcome.escalations_changed = len(changed)
    return outcome


async def _revise(
    uow: AuditUnitOfWork,
    a: Assessment,
    current: AttributionHead | None,
    now: datetime,
    revisions: list[Revision],
) -> CurrentAttribution:
    """Refresh one attribution; on a change of cause keep a revision and queue the finding."""
    row, revision = revise(current, a, now)
    if revision is None:
        return row
    revisions.append(revision)
    data = BreachAttributed(
        dossier=a.facts,
        cause=revision.cause,
        previous_cause=revision.previous_cause,
        revision=revision.revision,
        local_timeliness=a.local_timeliness,
        portal_overdue=a.portal_overdue,
        evidence=a.evidence,
        attributed_at=now,
    )
    event_id = finding_id(a.dossier_id, "attribution", revision.revision)
    await uow.findings.add(
        t.AUDIT_BREACH_ATTRIBUTED, a.dossier_id, data.model_dump(mode="json"), event_id, now
    )
    return row


async def _escalate(
    uow: AuditUnitOfWork, a: Assessment, existing: list[Escalation], now: datetime
) -> list[Escalation]:
    """Resolve the sync escalations the portal caught up with; open one for a new cause."""
    changed = esc.caught_up(a, existing, now)
    for resolved in changed:
        await emit_resolved(uow, resolved)
    opened = esc.to_open(a, existing, now)
    if opened is not None:
        changed.append(opened)
        data = EscalationOpened(
            escalation_id=opened.id,
            dossier=a.facts,
            cause=opened.cause,
            opened_at=now,
            summary=opened.summary,
        )
        event_id = finding_id(opened.id, "opened")
        await uow.findings.add(
            t.AUDIT_ESCALATION_OPENED, a.dossier_id, data.model_dump(mode="json"), event_id, now
        )
    return changed


async def emit_resolved(uow: AuditUnitOfWork, e: Escalation) -> None:
    """Queue `audit.escalation_resolved` for an escalation that just resolved."""
    if e.resolved_at is None or e.resolution is None:
        raise ValueError("only a resolved escalation can be announced")
    data = EscalationResolved(
        escalation_id=e.id,
        cause=e.cause,
        resolved_at=e.resolved_at,
        resolution=e.resolution,
        note=e.note,
    )
    event_id = finding_id(e.id, "resolved")
    await uow.findings.add(
        t.AUDIT_ESCALATION_RESOLVED,
        e.dossier_id,
        data.model_dump(mode="json"),
        event_id,
        e.resolved_at,
    )

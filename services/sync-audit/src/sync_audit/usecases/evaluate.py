"""Re-attribute a set of dossiers inside the caller's unit of work, queueing what changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dunghan_common.events import event_types as t
from dunghan_common.events.findings import (
    BreachAttributed,
    EscalationOpened,
    EscalationResolved,
    EscalationWithdrawn,
)

from sync_audit.domain import escalations as esc
from sync_audit.domain.attribution import assess
from sync_audit.domain.escalations import outage_escalation_id
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
) -> Outcome:
    """Attribute the dossiers at ``now``; store revisions and escalations; queue the findings."""
    ids = sorted(set(dossier_ids))
    outcome = Outcome()
    if not ids:
        return outcome
    repo = uow.repo
    await repo.lock_dossiers(ids)
    observations = await repo.observations_of(ids)
    current = await repo.attribution_heads_of(ids)
    # The local views give the due times, so one query fetches the windows; folded once.
    views = {d: local_view(observations.get(d, []), compute_due) for d in ids}
    outages = await repo.outages_covering([v.facts.due_at for v in views.values() if v])
    assessments = []
    for dossier_id in ids:
        local = views[dossier_id]
        a = (
            None
            if local is None
            else assess(
                dossier_id, observations.get(dossier_id, []), outages, now, compute_due, local
            )
        )
        if a is not None:
            assessments.append(a)
    waiting = [d for d in ids if d in current and d not in {a.dossier_id for a in assessments}]
    if waiting:  # sla's verdict is awaited: its announcement is an event, no tick is needed
        await repo.clear_next_checks(waiting)
    groups = sorted({a.outage_id for a in assessments if a.outage_id is not None})
    if groups:  # one escalation per outage: serialise the replicas that extend it
        await repo.lock_dossiers([f"outage:{g}" for g in groups])
    known = {e.id: e for e in await repo.escalations_touching(ids)}
    known |= {
        e.id: e for e in await repo.escalations_by_id([outage_escalation_id(g) for g in groups])
    }
    rows: list[CurrentAttribution] = []
    revisions: list[Revision] = []
    changed: dict[str, Escalation] = {}
    for a in assessments:
        rows.append(await _revise(uow, a, current.get(a.dossier_id), now, revisions))
        relevant = [
            e for e in known.values() if e.touches(a.dossier_id) or e.outage_id == a.outage_id
        ]
        changes = esc.plan(a, relevant, now)
        await _announce(uow, a, changes, now)
        for e in changes.stored:
            known[e.id] = changed[e.id] = e
    await repo.save_attributions(rows)
    await repo.add_revisions(revisions)
    outcome.revised_causes = [r.cause for r in revisions]
    await repo.save_escalations(list(changed.values()))
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


async def _announce(
    uow: AuditUnitOfWork, a: Assessment, changes: esc.Changes, now: datetime
) -> None:
    """Queue the findings of the escalations an assessment opened, resolved or withdrew."""
    for resolved in changes.resolved:
        await emit_resolved(uow, resolved)
    for withdrawn in changes.withdrawn:
        data_w = EscalationWithdrawn(
            escalation_id=withdrawn.id,
            cause=withdrawn.cause,
            withdrawn_at=now,
            reason=withdrawn.withdrawn_reason or "",
        )
        event_id = finding_id(withdrawn.id, "withdrawn", now.isoformat())
        await uow.findings.add(
            t.AUDIT_ESCALATION_WITHDRAWN,
            a.dossier_id,
            data_w.model_dump(mode="json"),
            event_id,
            now,
        )
    for opened in changes.opened:
        data = EscalationOpened(
            escalation_id=opened.id,
            dossier=a.facts,
            cause=opened.cause,
            opened_at=now,
            summary=opened.summary,
            outage_id=opened.outage_id,
            dossier_ids=opened.dossier_ids,
        )
        event_id = finding_id(opened.id, "opened", opened.opened_at.isoformat())
        await uow.findings.add(
            t.AUDIT_ESCALATION_OPENED, a.dossier_id, data.model_dump(mode="json"), event_id, now
        )


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

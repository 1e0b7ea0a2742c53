"""Revisions of an attribution: a change of cause adds one; the current view is always fresh."""

from __future__ import annotations

from datetime import datetime

from sync_audit.domain.model import Assessment, AttributionHead, CurrentAttribution, Revision


def revise(
    current: AttributionHead | CurrentAttribution | None, assessment: Assessment, now: datetime
) -> tuple[CurrentAttribution, Revision | None]:
    """The new current attribution, and the revision to keep when the cause changed.

    A dossier that was never attributed and is not late has no revision (revision 0): revision 1
    is its first real cause. Evidence alone changing refreshes the current view, not the history,
    so a retry storm of syncs does not flood the findings topic.
    """
    previous = current.cause if current is not None else "none"
    number = current.revision if current is not None else 0
    revision: Revision | None = None
    attributed_at = current.attributed_at if current is not None else now
    if assessment.cause != previous:
        number += 1
        attributed_at = now
        revision = Revision(
            dossier_id=assessment.dossier_id,
            revision=number,
            cause=assessment.cause,
            previous_cause=previous if current is not None and current.revision > 0 else None,
            local_timeliness=assessment.local_timeliness,
            portal_overdue=assessment.portal_overdue,
            evidence=assessment.evidence,
            attributed_at=now,
        )
    fresh = CurrentAttribution(
        dossier_id=assessment.dossier_id,
        unit_code=assessment.facts.unit_code,
        cause=assessment.cause,
        revision=number,
        local_timeliness=assessment.local_timeliness,
        portal_overdue=assessment.portal_overdue,
        evidence=assessment.evidence,
        period=assessment.period,
        attributed_at=attributed_at,
        due_at=assessment.facts.due_at,
        next_check_at=assessment.next_check_at,
        portal_view=assessment.portal_view,
        finished_at=assessment.finished_at,
        received_at=assessment.facts.received_at,
    )
    return fresh, revision

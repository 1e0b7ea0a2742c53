"""Attribution of a late or portal-late dossier to one cause (DOMAIN.md §6), with its evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from dunghan_common.events.findings import Cause, Timeliness

from sync_audit.domain.evidence import build_evidence
from sync_audit.domain.model import Assessment, Observation, OutageWindow
from sync_audit.domain.views import DueCalculator, LocalView, PortalView, local_view, portal_view

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_timeliness(
    due: datetime, finished_at: datetime | None, now: datetime, tz: tzinfo = TZ
) -> Timeliness:
    """Early, on time or late once finished; within time or overdue while open (DOMAIN.md §4)."""
    if finished_at is None:
        return "overdue" if now > due else "within_time"
    if finished_at > due:
        return "late"
    if finished_at.astimezone(tz).date() < due.astimezone(tz).date():
        return "early"
    return "on_time"


def portal_overdue(portal: PortalView, now: datetime) -> bool:
    """Whether the portal shows the dossier unfinished past its due date, or finished late."""
    if portal.finished_at is None:
        return now > portal.due_at
    return portal.finished_at > portal.due_at


def software_faults(
    local: LocalView, outages: Sequence[OutageWindow]
) -> tuple[list[Observation], list[OutageWindow], list[Observation]]:
    """The faults that touched the dossier: errors while open, outages over due, mismatch flags."""
    start, end = local.facts.received_at, local.finished_at
    errors = [o for o in local.system_errors if o.time >= start and (end is None or o.time <= end)]
    windows = [w for w in outages if w.covers(local.facts.due_at)]
    flags = [o for o in local.flags if o.data.get("flag") == "deadline_mismatch"]
    return errors, windows, flags


def decide(late_locally: bool, late_on_portal: bool, software_fault: bool) -> Cause:
    """The rule table of DOMAIN.md §6."""
    if late_locally:
        return "software_error" if software_fault else "official_delay"
    return "sync_error" if late_on_portal else "none"


def assess(
    dossier_id: str,
    observations: Sequence[Observation],
    outages: Sequence[OutageWindow],
    now: datetime,
    compute_due: DueCalculator,
) -> Assessment | None:
    """Attribute one dossier at ``now``; ``None`` while its reception is unknown."""
    local = local_view(observations, compute_due)
    if local is None:
        return None
    portal = portal_view(observations, local.facts.due_at)
    timeliness = local_timeliness(local.facts.due_at, local.finished_at, now)
    late_on_portal = portal_overdue(portal, now)
    errors, windows, flags = software_faults(local, outages)
    cause = decide(
        timeliness in ("overdue", "late"), late_on_portal, bool(errors or windows or flags)
    )
    return Assessment(
        dossier_id=dossier_id,
        facts=local.facts,
        cause=cause,
        local_timeliness=timeliness,
        portal_overdue=late_on_portal,
        portal_caught_up=portal.finished_at is not None and not late_on_portal,
        evidence=build_evidence(local, portal, errors, windows, flags, late_on_portal),
        period=period_of(local.finished_at or local.facts.due_at),
        next_check_at=next_check(local, portal, now),
    )


def period_of(instant: datetime) -> str:
    """The correction-list month of a dossier: its finish month, else its due month (local)."""
    return instant.astimezone(TZ).strftime("%Y-%m")


def next_check(local: LocalView, portal: PortalView, now: datetime) -> datetime | None:
    """The next instant the attribution may change without a new event: a due time passing."""
    candidates = []
    if local.finished_at is None:
        candidates.append(local.facts.due_at)
    if portal.finished_at is None:
        candidates.append(portal.due_at)
    future = [c for c in candidates if c >= now]
    return min(future) if future else None

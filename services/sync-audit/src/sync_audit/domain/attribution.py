"""Attribution of a late or portal-late dossier to one cause, with evidence (docs/domain.md §6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dunghan_common.events.findings import Cause, Timeliness

from sync_audit.domain.evidence import build_evidence
from sync_audit.domain.model import Assessment, Observation, OutageWindow
from sync_audit.domain.views import DueCalculator, LocalView, PortalView, local_view, portal_view

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


#: How long sla's verdict may be in flight before a portal-only attribution (the setting's default).
DEFAULT_GRACE = timedelta(minutes=5)


def local_timeliness(local: LocalView, tz: tzinfo = TZ) -> Timeliness:
    """Late or overdue only on sla's word; else early or on time once finished, within time open.

    sla owns the clock (pauses, supplement rules, reschedules, cutoff): a finish after the due date
    this service knows is not late unless sla said so (a stopped clock moved the date).
    """
    finished = local.finished_at
    if local.verdict is not None:
        return "overdue" if finished is None else "late"
    if finished is None:
        return "within_time"
    if finished.astimezone(tz).date() < local.facts.due_at.astimezone(tz).date():
        return "early"
    return "on_time"


def portal_overdue(portal: PortalView, local: LocalView, now: datetime) -> bool:
    """Whether the portal shows the dossier unfinished past its due date, or finished late.

    With the due date only a lower bound (the clock stopped, sla silent): a finish on the portal
    cannot be shown late, and an unfinished one is late past the local finish (not before: the
    portal mirrors the local clock while the dossier is open here, and sla judges that).
    """
    if portal.due_known:
        if portal.finished_at is None:
            return now > portal.due_at
        return portal.finished_at > portal.due_at
    if portal.finished_at is not None or local.finished_at is None:
        return False
    return now > max(portal.due_at, local.finished_at)


def verdict_pending_until(local: LocalView, grace: timedelta) -> datetime | None:
    """Until when sla's verdict may still be in flight; None when it cannot come.

    It can come while the dossier is open past the due date known here, or finished after it.
    sla reads the same events: once the due time and the latest event are ``grace`` old, its
    silence means not late.
    """
    if local.verdict is not None:
        return None
    due, finished = local.facts.due_at, local.finished_at
    if finished is not None and finished <= due:
        return None
    anchor = max([due, *([local.recorded_at] if local.recorded_at else [])])
    return anchor + grace


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
    """The rule table of docs/domain.md §6."""
    if late_locally:
        return "software_error" if software_fault else "official_delay"
    return "sync_error" if late_on_portal else "none"


def assess(
    dossier_id: str,
    observations: Sequence[Observation],
    outages: Sequence[OutageWindow],
    now: datetime,
    compute_due: DueCalculator,
    grace: timedelta = DEFAULT_GRACE,
    local: LocalView | None = None,
) -> Assessment | None:
    """Attribute one dossier at ``now``; ``None`` while its reception is unknown.

    Late locally is sla's verdict; portal-only lateness waits ``grace`` for it (no provisional
    `sync_error` for a dossier sla is about to call late). ``local``: the province's view of
    these observations when the caller already folded it (it depends on them only).
    """
    local = local or local_view(observations, compute_due)
    if local is None:
        return None
    portal = portal_view(observations, local.facts.due_at, local.due_known)
    timeliness = local_timeliness(local)
    late_on_portal = portal_overdue(portal, local, now)
    pending = verdict_pending_until(local, grace)
    waiting = pending is not None and now < pending
    errors, windows, flags = software_faults(local, outages)
    cause = decide(
        local.verdict is not None, late_on_portal and not waiting, bool(errors or windows or flags)
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
        next_check_at=next_check(local, portal, now, pending),
    )


def period_of(instant: datetime) -> str:
    """The correction-list month of a dossier: its finish month, else its due month (local)."""
    return instant.astimezone(TZ).strftime("%Y-%m")


def next_check(
    local: LocalView, portal: PortalView, now: datetime, pending: datetime | None = None
) -> datetime | None:
    """The next instant the attribution may change without a new event.

    The portal's due time passing while it shows the dossier unfinished (not before the wait for
    sla's verdict ends), or the end of that wait. The local due time needs no check: sla's breach
    alert is an event.
    """
    candidates = [] if pending is None else [pending]
    if portal.finished_at is None:
        bound = portal.due_at
        if not portal.due_known and local.finished_at is not None:
            bound = max(bound, local.finished_at)
        candidates.append(bound if pending is None else max(bound, pending))
    future = [c for c in candidates if c >= now]
    return min(future) if future else None

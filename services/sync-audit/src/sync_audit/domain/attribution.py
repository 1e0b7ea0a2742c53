"""Attribution of a late or portal-late dossier to one cause (docs/domain.md §6), with its evidence.

The local verdict is sla's latest announcement, never guessed here; a sync fault needs positive
evidence from the portal's side (a failed or late push of the finishing status, a snapshot that
disagrees). Without any, the portal's view is `unknown`: no escalation, no correction row, and
the dossier is listed for DOST to check on the portal once its due date has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from dunghan_common.events.findings import Cause, Timeliness

from sync_audit.domain.evidence import build_evidence
from sync_audit.domain.model import FINISHING_STATUSES, Assessment, Observation, OutageWindow
from sync_audit.domain.views import DueCalculator, LocalView, PortalView, local_view, portal_view

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PortalStatus = Literal["agrees", "disagrees", "unknown"]
_FINISHED = frozenset({"early", "on_time", "late"})
LATE = frozenset({"overdue", "late"})


def local_timeliness(local: LocalView, now: datetime) -> Timeliness | None:
    """sla's verdict; None while it is still to come (a finish, or a passed due, not yet judged).

    An open dossier sla said nothing about is within time until its due date passes with the
    clock running; from then on sla's breach is on its way and nothing is decided without it.
    """
    said = local.verdict
    if said is not None:
        if said.timeliness in _FINISHED or local.finished_at is None:
            return said.timeliness
        return None  # finished here; sla's announcement of the end is on its way
    if local.finished_at is not None:
        return None
    if local.due_known and now >= local.facts.due_at:
        return None
    return "within_time"


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


def portal_evidence(portal: PortalView, local: LocalView, late_on_portal: bool) -> list[str]:
    """The positive evidence that the portal shows the dossier unfinished or late.

    A finishing status pushed and refused (and not pushed by the due date since), pushed after
    the due date, or a portal snapshot that shows it unfinished or late. Nothing else counts: the
    absence of a push is not evidence.
    """
    if not late_on_portal:
        return []
    found: list[str] = []
    if portal.finish_source == "snapshot" or _unfinished_after(portal, local):
        found.append("portal_snapshot_disagrees")
    finishing = [o for o in portal.syncs if o.data["status_code"] in FINISHING_STATUSES]
    failed = [o for o in finishing if o.type == "portal.sync_failed"]
    if failed and (portal.finished_at is None or portal.finished_at > portal.due_at):
        found.append("finishing_push_failed")
    if portal.finish_source == "sync" and portal.finished_at is not None:
        found.append("finishing_pushed_late")
    return found


def _unfinished_after(portal: PortalView, local: LocalView) -> bool:
    """A snapshot taken after the local finish (or, open, after the due time) shows the dossier
    unfinished: the portal does not have what the province has."""
    if portal.finished_at is not None or not portal.snapshots:
        return False
    since = local.finished_at or portal.due_at
    return portal.snapshots[-1].time >= since


def portal_status(portal: PortalView, local: LocalView, evidence: Sequence[str]) -> PortalStatus:
    """What the portal is known to show against the province: `disagrees` on positive evidence
    (late, or a finish it lacks), `agrees` when a snapshot or a push shows it has the dossier's
    current stage, else `unknown` (no portal evidence about it at all)."""
    if evidence or _unfinished_after(portal, local):
        return "disagrees"
    if portal.snapshots:
        return "agrees"
    if local.finished_at is None:
        return "agrees" if portal.syncs else "unknown"
    finishing = [o for o in portal.syncs if o.data["status_code"] in FINISHING_STATUSES]
    if any(o.type == "portal.sync_succeeded" for o in finishing):
        return "agrees"
    return "disagrees" if finishing else "unknown"


def software_faults(
    local: LocalView, outages: Sequence[OutageWindow]
) -> tuple[list[Observation], list[OutageWindow], list[Observation]]:
    """The faults that touched the dossier: errors while open, outages over due, mismatch flags."""
    start, end = local.facts.received_at, local.finished_at
    errors = [o for o in local.system_errors if o.time >= start and (end is None or o.time <= end)]
    windows = [w for w in outages if w.covers(local.facts.due_at)]
    flags = [o for o in local.flags if o.data.get("flag") == "deadline_mismatch"]
    return errors, windows, flags


def decide(late_locally: bool, sync_evidence: bool, software_fault: bool) -> Cause:
    """The rule table of docs/domain.md §6."""
    if late_locally:
        return "software_error" if software_fault else "official_delay"
    return "sync_error" if sync_evidence else "none"


def assess(
    dossier_id: str,
    observations: Sequence[Observation],
    outages: Sequence[OutageWindow],
    now: datetime,
    compute_due: DueCalculator,
    local: LocalView | None = None,
) -> Assessment | None:
    """Attribute one dossier at ``now``; ``None`` while its reception or sla's verdict is unknown.

    ``local``: the province's view of these observations when the caller already folded it.
    """
    local = local or local_view(observations, compute_due)
    if local is None:
        return None
    timeliness = local_timeliness(local, now)
    if timeliness is None:
        return None
    portal = portal_view(observations, local.facts.due_at, local.due_known)
    late_on_portal = portal_overdue(portal, local, now)
    sync = portal_evidence(portal, local, late_on_portal)
    errors, windows, flags = software_faults(local, outages)
    cause = decide(timeliness in LATE, bool(sync), bool(errors or windows or flags))
    return Assessment(
        dossier_id=dossier_id,
        facts=local.facts,
        cause=cause,
        local_timeliness=timeliness,
        portal_overdue=late_on_portal,
        portal_view=portal_status(portal, local, sync),
        portal_caught_up=portal.finished_at is not None and not late_on_portal,
        evidence=build_evidence(local, portal, errors, windows, flags, late_on_portal, sync),
        period=period_of(local.finished_at or local.facts.due_at),
        next_check_at=next_check(local, portal, now),
        outage_id=_first_outage(windows) if cause == "software_error" else None,
        finished_at=local.finished_at,
    )


def _first_outage(windows: Sequence[OutageWindow]) -> str | None:
    """The outage that groups a software fault: the earliest window over the due time."""
    dated = [w for w in windows if w.started_at is not None]
    return min(dated, key=lambda w: (w.started_at, w.outage_id)).outage_id if dated else None


def period_of(instant: datetime) -> str:
    """The correction-list month of a dossier: its finish month, else its due month (local)."""
    return instant.astimezone(TZ).strftime("%Y-%m")


def next_check(local: LocalView, portal: PortalView, now: datetime) -> datetime | None:
    """The next instant the attribution may change without a new event: the portal's due time
    passing while it shows the dossier unfinished. The local due time needs no check: sla's
    breach alert is an event."""
    if portal.finished_at is not None:
        return None
    bound = portal.due_at
    if not portal.due_known and local.finished_at is not None:
        bound = max(bound, local.finished_at)
    return bound if bound >= now else None

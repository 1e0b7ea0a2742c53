"""Event type names: the ones sources push (docs/contract.md §1) and the ones services emit (§2)."""

from __future__ import annotations

from typing import Final

DOSSIER_SUBMITTED: Final = "dossier.submitted"
DOSSIER_RECEIVED: Final = "dossier.received"
DOSSIER_ASSIGNED: Final = "dossier.assigned"
DOSSIER_TRANSFERRED: Final = "dossier.transferred"
DOSSIER_SUPPLEMENT_REQUESTED: Final = "dossier.supplement_requested"
DOSSIER_SUPPLEMENT_RECEIVED: Final = "dossier.supplement_received"
DOSSIER_PAUSED: Final = "dossier.paused"
DOSSIER_RESUMED: Final = "dossier.resumed"
DOSSIER_RESCHEDULED: Final = "dossier.rescheduled"
DOSSIER_RESULT_READY: Final = "dossier.result_ready"
DOSSIER_RESULT_DIGITIZED: Final = "dossier.result_digitized"
DOSSIER_RETURNED: Final = "dossier.returned"
DOSSIER_REFUSED: Final = "dossier.refused"
DOSSIER_STOPPED: Final = "dossier.stopped"
DOSSIER_WITHDRAWN: Final = "dossier.withdrawn"
PAYMENT_COMPLETED: Final = "payment.completed"
PORTAL_SYNC_SUCCEEDED: Final = "portal.sync_succeeded"
PORTAL_SYNC_FAILED: Final = "portal.sync_failed"
PORTAL_SNAPSHOT: Final = "portal.snapshot"
SYSTEM_ERROR: Final = "system.error"
SYSTEM_OUTAGE_STARTED: Final = "system.outage_started"
SYSTEM_OUTAGE_ENDED: Final = "system.outage_ended"

# Emitted by sla onto `sla-alerts`.
SLA_APOLOGY_WINDOW_OPENED: Final = "sla.apology_window_opened"
SLA_DEADLINE_BREACHED: Final = "sla.deadline_breached"
SLA_FINISHED_LATE: Final = "sla.finished_late"
SLA_FLAG_RAISED: Final = "sla.flag_raised"
SLA_FINISHED: Final = "sla.finished"
SLA_VERDICT_REVISED: Final = "sla.verdict_revised"

# Emitted by sync-audit onto `audit-findings`.
AUDIT_BREACH_ATTRIBUTED: Final = "audit.breach_attributed"
AUDIT_ESCALATION_OPENED: Final = "audit.escalation_opened"
AUDIT_ESCALATION_RESOLVED: Final = "audit.escalation_resolved"
AUDIT_ESCALATION_WITHDRAWN: Final = "audit.escalation_withdrawn"

SLA_ALERT_TYPES: Final = frozenset(
    {
        SLA_APOLOGY_WINDOW_OPENED,
        SLA_DEADLINE_BREACHED,
        SLA_FINISHED_LATE,
        SLA_FLAG_RAISED,
        SLA_FINISHED,
        SLA_VERDICT_REVISED,
    }
)
AUDIT_FINDING_TYPES: Final = frozenset(
    {
        AUDIT_BREACH_ATTRIBUTED,
        AUDIT_ESCALATION_OPENED,
        AUDIT_ESCALATION_RESOLVED,
        AUDIT_ESCALATION_WITHDRAWN,
    }
)
SERVICE_EVENT_TYPES: Final = SLA_ALERT_TYPES | AUDIT_FINDING_TYPES

# Prefixes of the pushed types whose `subject` (the dossier code) is mandatory.
SUBJECT_REQUIRED_PREFIXES: Final = ("dossier.", "payment.", "portal.")


def subject_required(event_type: str) -> bool:
    """Tell whether events of this type must name their dossier in `subject`."""
    return event_type.startswith(SUBJECT_REQUIRED_PREFIXES)

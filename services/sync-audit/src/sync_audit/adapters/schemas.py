"""Request and response bodies of the HTTP API (docs/contract.md §3, sync-audit)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from dunghan_common.bounds import StorableText, has_nul, storable_time
from dunghan_common.events.findings import Cause, Evidence, Timeliness
from fastapi import HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sync_audit.domain.model import (
    EscalatedCause,
    Escalation,
    EscalationStatus,
    PortalStatus,
    Resolution,
)


class NoteBody(BaseModel):
    """Body of acknowledge and resolve."""

    model_config = ConfigDict(extra="forbid")

    note: StorableText | None = Field(None, max_length=2000)


class RevisionOut(BaseModel):
    """One past change of cause."""

    revision: int
    cause: Cause
    previous_cause: Cause | None
    local_timeliness: Timeliness
    portal_overdue: bool
    attributed_at: AwareDatetime
    evidence: list[Evidence]


class AttributionOut(BaseModel):
    """A dossier's current attribution and its history."""

    dossier_id: str
    unit_code: str
    cause: Cause
    revision: int
    local_timeliness: Timeliness
    portal_overdue: bool
    portal_view: PortalStatus = Field(
        description="what the portal is known to show: agrees, disagrees (on positive "
        "evidence), or unknown (no portal evidence: listed in /v1/portal-checks)"
    )
    period: str
    attributed_at: AwareDatetime
    evidence: list[Evidence]
    revisions: list[RevisionOut]


class EscalationOut(BaseModel):
    """An escalation to DOST."""

    id: str
    dossier_id: str
    unit_code: str
    cause: EscalatedCause
    status: EscalationStatus
    summary: str
    opened_at: AwareDatetime
    acknowledged_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    resolution: Resolution | None
    note: str | None
    outage_id: str | None = Field(None, description="the outage this escalation groups")
    dossier_ids: list[str] = Field(
        default_factory=list, description="every dossier it touched (dossier_id is the first)"
    )
    withdrawn_at: AwareDatetime | None = None
    withdrawn_reason: str | None = None

    @classmethod
    def of(cls, e: Escalation) -> EscalationOut:
        """From the domain model."""
        return cls.model_validate(e.model_dump())


class EscalationPage(BaseModel):
    """A page of escalations."""

    items: list[EscalationOut]
    next_cursor: str | None


class CorrectionOut(BaseModel):
    """One row of the correction list for VPCP."""

    dossier_id: str
    unit_code: str
    cause: Cause
    local_timeliness: Timeliness
    portal_overdue: bool
    attributed_at: AwareDatetime
    evidence_summary: str
    evidence: list[Evidence]


class PortalCheckOut(BaseModel):
    """A dossier past its due date with no portal evidence, for DOST to check on the portal."""

    dossier_id: str
    unit_code: str
    due_at: AwareDatetime
    finished_at: AwareDatetime | None
    local_timeliness: Timeliness


class PortalCheckPage(BaseModel):
    """A page of portal checks, by dossier code."""

    period: str
    items: list[PortalCheckOut]
    next_cursor: str | None


def encode_code_cursor(code: str) -> str:
    """An opaque cursor after a dossier code."""
    return base64.urlsafe_b64encode(code.encode()).decode().rstrip("=")


def decode_code_cursor(cursor: str | None) -> str | None:
    """The dossier code of a cursor; 422 when it is not one of ours."""
    if not cursor:
        return None
    try:
        code = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(422, "invalid cursor") from None
    if not code or "\x00" in code:
        raise HTTPException(422, "invalid cursor")
    return code


class CorrectionList(BaseModel):
    """The month's correction list."""

    period: str
    items: list[CorrectionOut]


def encode_cursor(e: Escalation) -> str:
    """An opaque keyset cursor after this escalation."""
    raw = f"{e.opened_at.isoformat()}|{e.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The keyset position of a cursor; 422 when it is not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        opened, _, escalation_id = raw.partition("|")
        at = datetime.fromisoformat(opened)
        # A forged cursor may carry what the database cannot take: NUL, or a time overflowing UTC.
        if not escalation_id or has_nul(escalation_id) or not storable_time(at):
            raise ValueError(cursor)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(422, "cursor is invalid") from None
    return at, escalation_id


def evidence_summary(evidence: list[Evidence]) -> str:
    """A one-line digest of the deciding evidence for a CSV cell."""
    parts = [
        f"{e.time.isoformat()} {e.kind}: {e.detail}"
        for e in evidence
        if not e.kind.startswith("dossier.") or e.kind == "dossier.received"
    ]
    return " | ".join(parts)[:4000]

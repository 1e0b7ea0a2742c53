"""The records notify keeps: dossier facts, letters, notifications and their delivery jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Kind(StrEnum):
    """What a notification is (docs/contract.md §3)."""

    APOLOGY = "apology"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    #: a message to a unit head or DOST that is not a reminder: a letter withdrawn after it was
    #: sent, an amended letter, an escalation withdrawn, a dossier counted late though served.
    NOTICE = "notice"


class RecipientRole(StrEnum):
    """Who receives it; ``service_centre`` and ``processing_unit`` (the letter's two copies)
    extend the contract's list."""

    APPLICANT = "applicant"
    OFFICIAL = "official"
    UNIT_HEAD = "unit_head"
    DOST = "dost"
    SERVICE_CENTRE = "service_centre"
    PROCESSING_UNIT = "processing_unit"


class ChannelName(StrEnum):
    """How it travels."""

    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class Status(StrEnum):
    """Delivery state; ``sending`` is internal (claimed, outcome not yet recorded)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Cause(StrEnum):
    """Why a letter is written: the attributed cause, or a reschedule by the source."""

    OFFICIAL_DELAY = "official_delay"
    SOFTWARE_ERROR = "software_error"
    RESCHEDULED = "rescheduled"


class LetterStatus(StrEnum):
    """The state of a letter case (docs/contract.md §3 ``/v1/letters``).

    ``held``: its unit has no complete directory entry; ``awaiting_approval``: the unit's head
    approves letters first; ``issued``: queued or delivered to the applicant; ``amended``: a
    later fact changed a letter already sent and the amended letter is delivered; ``withdrawn``:
    the dossier was not late after all (the unit head is told when it had been sent).
    """

    HELD = "held"
    AWAITING_APPROVAL = "awaiting_approval"
    ISSUED = "issued"
    AMENDED = "amended"
    WITHDRAWN = "withdrawn"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Facts(_Frozen):
    """What notify knows of a dossier, without personal data."""

    dossier_id: str
    unit_code: str
    procedure_code: str
    procedure_name: str | None = None
    received_at: AwareDatetime
    due_at: AwareDatetime
    assignee_id: str | None = None
    #: the unit that received the dossier (a service centre): it takes the letter's copy.
    receiving_unit_code: str | None = None
    #: the unit's rescheduled date, as sla knows it.
    promised_due_at: AwareDatetime | None = None
    #: how many of the dossier's events sla had applied: the larger is the newer announcement.
    events_applied: int | None = None


class Letter(_Frozen):
    """An issued apology letter (phiếu xin lỗi và hẹn lại ngày trả kết quả), no personal data."""

    id: int | None = None
    dossier_id: str
    unit_code: str
    number: int
    year: int
    issued_at: AwareDatetime
    cause: Cause
    reason: str
    procedure_name: str
    received_at: AwareDatetime
    due_at: AwareDatetime
    new_due_at: AwareDatetime
    revision: int = 0
    withdrawn_at: AwareDatetime | None = None
    receiving_unit_code: str | None = None
    #: set while the letter is held: its unit is missing from the directory (or has no head).
    held_at: AwareDatetime | None = None
    status: LetterStatus = LetterStatus.ISSUED
    #: set when the dossier had finished late: the letter says when the result was ready.
    ready_at: AwareDatetime | None = None
    #: how many times the letter was amended after it was sent (its deliveries' tag).
    amendments: int = 0


class Amendment(StrEnum):
    """What a later cause revision did to an issued letter (docs/domain.md §5: one, true).

    ``rerendered``: still queued, so the one letter now carries the new reason;
    ``amended``: already sent: the same letter (same number) is amended and delivered again,
    the unit head is told; never a second letter;
    ``recorded``: already sent and the new cause earns no letter: withdrawn, the head is told;
    ``withdrawn``: still queued and the new cause earns no letter, its deliveries are withdrawn;
    ``unchanged``: the letter already says the right thing (withdrawn deliveries go back in line).
    """

    RERENDERED = "rerendered"
    AMENDED = "amended"
    RECORDED = "recorded"
    WITHDRAWN = "withdrawn"
    UNCHANGED = "unchanged"


class NewNotification(_Frozen):
    """A notification to queue; ``dedup_key`` makes queueing idempotent and keys the send."""

    dedup_key: str
    kind: Kind
    dossier_id: str | None
    unit_code: str | None
    recipient_role: RecipientRole
    recipient_ref: str
    channel: ChannelName
    subject: str
    body: str
    letter_id: int | None = None
    not_before: AwareDatetime


class Job(_Frozen):
    """A claimed delivery job as the worker sees it."""

    id: int
    dedup_key: str
    kind: Kind
    dossier_id: str | None
    unit_code: str | None
    recipient_role: RecipientRole
    recipient_ref: str
    channel: ChannelName
    subject: str
    body: str
    letter_id: int | None
    attempts: int


class NotificationView(_Frozen):
    """A notification as the API shows it: no contact details."""

    id: int
    kind: Kind
    dossier_id: str | None
    unit_code: str | None  # a digest has no dossier, only its unit
    recipient_role: RecipientRole
    channel: ChannelName
    status: Status
    created_at: datetime
    sent_at: datetime | None

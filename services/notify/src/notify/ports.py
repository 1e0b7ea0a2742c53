"""Ports of notify's use-cases: the stores of each role, the unit of work, sealing, channels,
calendar, clock."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from dunghan_common.clock import Clock
from dunghan_common.units import UnitDirectory

from notify.domain.cases import CaseOnRecord, DossierState
from notify.domain.letters import LetterDocument
from notify.domain.models import (
    ChannelName,
    Job,
    Letter,
    NewNotification,
    NotificationView,
)

__all__ = ["Clock"]


@dataclass
class BatchRead:
    """What a batch's dossiers hold when it starts: states, letter cases, contact channels."""

    states: dict[str, DossierState] = field(default_factory=dict)
    cases: dict[str, CaseOnRecord] = field(default_factory=dict)
    channels: dict[str, tuple[ChannelName, ...]] = field(default_factory=dict)


@dataclass
class BatchWrite:
    """What a batch decided, written once: states, contacts (None: forget), new and changed
    letter cases, amendments, deliveries to withdraw (why) or requeue (when), notifications,
    and the pending reminders to cancel (dossier, dedup-key prefix)."""

    now: datetime
    states: list[DossierState] = field(default_factory=list)
    contacts: dict[str, tuple[bytes, list[ChannelName], datetime] | None] = field(
        default_factory=dict
    )
    new_letters: list[Letter] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    withdraw: dict[int, str] = field(default_factory=dict)
    requeue: dict[int, datetime] = field(default_factory=dict)
    notifications: list[NewNotification] = field(default_factory=list)
    cancel: list[tuple[str, str]] = field(default_factory=list)


class BatchStore(Protocol):
    """Intake's store: lock and read a batch's dossiers, then write what was decided, once."""

    async def load(self, dossier_ids: Sequence[str]) -> BatchRead:
        """Lock the dossiers (until commit) and read them."""

    async def reserve_letter_ids(self, n: int) -> list[int]:
        """Ids for new letter cases."""

    async def write(self, changes: BatchWrite) -> None:
        """Apply the batch's changes."""


class QueueStore(Protocol):
    """Queueing notifications (idempotent by dedup key)."""

    async def add_notifications(self, items: list[NewNotification]) -> int:
        """Queue notifications; ones whose dedup key exists are skipped. Returns how many added."""


class DeliveryStore(Protocol):
    """What the delivery worker claims, records and renders from."""

    async def claim_jobs(self, now: datetime, lease_s: float, limit: int) -> list[Job]:
        """Claim due jobs (SKIP LOCKED), mark them ``sending``, count the attempt."""

    async def mark_sent(self, job_id: int, at: datetime) -> None:
        """Record a successful send."""

    async def mark_retry(self, job_id: int, not_before: datetime, error: str) -> None:
        """Put a job back for a later try."""

    async def mark_failed(self, job_id: int, at: datetime, error: str) -> None:
        """Record terminal failure."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter."""

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact, for rendering a letter or sending."""


class ScheduleStore(QueueStore, Protocol):
    """The scheduler's rounds: digests, retention, held letters, the waiting gauge."""

    async def lock_dossier(self, dossier_id: str) -> None:
        """Serialise work on one dossier until the transaction ends."""

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """Which channels the applicant can be reached by (none if no contact)."""

    async def held_letters(self) -> list[Letter]:
        """Letters held for a unit missing from the directory, oldest first."""

    async def release_letter(self, letter_id: int) -> None:
        """The letter is no longer held (its unit is in the directory now): issued."""

    async def purge_contacts(self, now: datetime) -> list[str]:
        """Delete contacts past their retention; return the dossiers they belonged to."""

    async def count_waiting(self, now: datetime) -> dict[str, int]:
        """Pending jobs held for later (office hours or backoff), by kind."""

    async def overdue_by_unit(self) -> dict[str, list[tuple[str, datetime]]]:
        """Open overdue dossiers seen, by unit: (dossier, due_at)."""


class QueryStore(Protocol):
    """The API's reads, and the approval of a letter case."""

    async def list_notifications(
        self,
        dossier_id: str | None,
        kind: str | None,
        unit_code: str | None,
        after_id: int,
        limit: int,
    ) -> list[NotificationView]:
        """Notifications in id order after a cursor."""

    async def get_notification(self, notification_id: int) -> NotificationView | None:
        """One notification."""

    async def letter_of_notification(self, notification_id: int) -> Letter | None:
        """The letter a notification carries, if it is an apology."""

    async def list_letters(self, query: LetterQuery) -> list[Letter]:
        """Letter cases in id order after a cursor."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter."""

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact, for rendering a letter."""


class ApprovalStore(QueueStore, Protocol):
    """Approving a letter case held for its head's approval."""

    async def lock_dossier(self, dossier_id: str) -> None:
        """Serialise work on one dossier until the transaction ends."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter."""

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """Which channels the applicant can be reached by (none if no contact)."""

    async def set_letter_status(self, letter_id: int, status: str) -> None:
        """Change a letter case's state."""


class NotifyStore(DeliveryStore, ScheduleStore, QueryStore, ApprovalStore, Protocol):
    """Notify's records on one transaction (no commit here): every role's reads and writes."""


@dataclass(frozen=True)
class LetterQuery:
    """Filters of ``GET /v1/letters``."""

    dossier_id: str | None = None
    unit_code: str | None = None
    status: str | None = None
    after_id: int = 0
    limit: int = 100


class NotifyUnit(Protocol):
    """One transaction: its stores and its commit."""

    @property
    def store(self) -> NotifyStore:
        """The store of this transaction."""

    @property
    def batch(self) -> BatchStore:
        """The consumed batch's store (intake)."""

    async def commit(self) -> None:
        """Make the work durable."""


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work."""

    def __call__(self) -> AbstractAsyncContextManager[NotifyUnit]:
        """A new transaction."""


class Sealer(Protocol):
    """Encrypts contacts at rest."""

    def seal(self, data: dict[str, str]) -> bytes:
        """Encrypt."""

    def open(self, sealed: bytes) -> dict[str, str]:
        """Decrypt."""


class WorkingCalendar(Protocol):
    """The part of the business calendar notify uses."""

    def next_opening(self, t: datetime) -> datetime:
        """``t`` in office hours, else the next opening."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days after ``start``."""

    def is_working_day(self, day: date) -> bool:
        """Whether a local date is a working day."""

    def clock_start(self, received_at: datetime) -> datetime:
        """When the clock starts for a reception."""

    def due_at(self, start: datetime, value: int, unit: Any) -> datetime:
        """The due instant of a time limit from the clock start."""


@dataclass(frozen=True)
class Message:
    """One send: the address, the content, the idempotency key and attachments."""

    to: str
    subject: str
    text: str
    idempotency_key: str
    html: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A send failed; ``permanent`` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """Email, SMS or webhook: sends one message or raises DeliveryError."""

    async def send(self, message: Message) -> None:
        """Deliver (the receiver de-duplicates by ``idempotency_key``)."""


class LetterRenderer(Protocol):
    """Renders a letter from its template: HTML, and PDF (CPU-bound: run it off the loop)."""

    def html(self, doc: LetterDocument) -> str:
        """The letter as HTML."""

    def pdf(self, doc: LetterDocument) -> bytes:
        """The letter as a PDF."""


class UnitDirectoryProvider(Protocol):
    """The unit directory in force (``dunghan_common.units``; re-read when its file changes)."""

    def current(self) -> UnitDirectory:
        """The directory now."""

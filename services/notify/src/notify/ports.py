"""Ports of notify's use-cases: the stores of each role, the unit of work, sealing, channels,
calendar, clock."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    """What a batch decided, written once: states, applicants' contacts (sealed, channels;
    None: forget), officials' contacts (sealed, seen at), new and changed letter cases,
    amendments, deliveries to withdraw (why) or requeue (when), notifications, and the pending
    reminders to cancel (dossier, dedup-key prefix)."""

    now: datetime
    states: list[DossierState] = field(default_factory=list)
    contacts: dict[str, tuple[bytes, list[ChannelName]] | None] = field(default_factory=dict)
    officials: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)
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

    async def officials_on_topic(self, official_ids: Sequence[str]) -> set[str]:
        """Which of these officials `dossier-contacts` brought an email for."""

    async def write(self, changes: BatchWrite) -> None:
        """Apply the batch's changes."""


class QueueStore(Protocol):
    """Queueing notifications (idempotent by dedup key)."""

    async def add_notifications(self, items: list[NewNotification]) -> int:
        """Queue notifications; ones whose dedup key exists are skipped. Returns how many added."""


class DeliveryStore(Protocol):
    """What the delivery worker claims, records and renders from; a job's outcome is written
    only by the claim that holds it."""

    async def claim_jobs(self, now: datetime, lease_s: float, limit: int, claim: str) -> list[Job]:
        """Claim due jobs (SKIP LOCKED) under ``claim``, mark them ``sending``, count the try."""

    async def renew_claim(self, claim: str, now: datetime, job_id: int | None = None) -> int:
        """Extend the lease of the claim's jobs still being sent (or of one); how many."""

    async def mark_sent(self, job_id: int, claim: str, at: datetime) -> bool:
        """Record a send; False (nothing written) when ``claim`` no longer holds the job."""

    async def mark_retry(self, job_id: int, claim: str, not_before: datetime, error: str) -> bool:
        """Put the job back for a later try, only while ``claim`` holds it."""

    async def mark_failed(self, job_id: int, claim: str, at: datetime, error: str) -> bool:
        """Record terminal failure, only while ``claim`` holds the job."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter."""

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact, for rendering a letter or sending."""

    async def sealed_official_contact(self, official_id: str) -> bytes | None:
        """An official's sealed contact from `dossier-contacts`, if any."""


class ScheduleStore(QueueStore, Protocol):
    """The scheduler's rounds: digests, retention, held letters, the waiting gauge."""

    async def lock_dossier(self, dossier_id: str) -> None:
        """Serialise work on one dossier until the transaction ends."""

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """Which channels the applicant can be reached by (none if no contact)."""

    async def held_letters(self) -> list[Letter]:
        """Letters held for a unit missing from the directory, oldest first."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter by id."""

    async def release_letter(self, letter_id: int, status: str) -> None:
        """The letter is no longer held (its unit is in the directory now): ``status``."""

    async def awaiting_letters(self) -> list[Letter]:
        """Letters awaiting their unit head's approval, oldest first."""

    async def set_letter_status(self, letter_id: int, status: str) -> None:
        """Change a letter case's state."""

    async def requeue_withdrawn(self, letter_id: int, not_before: datetime) -> int:
        """Withdrawn deliveries of the letter go back to pending."""

    async def purge_contacts(self, now: datetime, retention: timedelta) -> list[str]:
        """Delete contacts whose need ended ``retention`` ago (docs/domain.md §9); return their
        keys on the contacts topic (the dossier code, or ``official:<id>``)."""

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

    async def requeue_withdrawn(self, letter_id: int, not_before: datetime) -> int:
        """Withdrawn deliveries of the letter go back to pending."""

    async def set_letter_status(self, letter_id: int, status: str) -> None:
        """Change a letter case's state."""


class ResealStore(Protocol):
    """Key rotation: pages of sealed contacts, written back under the newest key."""

    async def sealed_page(self, which: str, after: str, limit: int) -> list[tuple[str, bytes]]:
        """(id, sealed) of ``applicant`` or ``official`` contacts after ``after``, locked."""

    async def replace_sealed(self, which: str, rows: list[tuple[str, bytes]]) -> None:
        """Write re-sealed contacts back."""


class NotifyStore(DeliveryStore, ScheduleStore, QueryStore, ApprovalStore, ResealStore, Protocol):
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
    """Encrypts contacts at rest, under the newest of its keys; opens under any of them."""

    def seal(self, data: dict[str, str]) -> bytes:
        """Encrypt under the newest key."""

    def open(self, sealed: bytes) -> dict[str, str]:
        """Decrypt, or raise ``ContactUnreadable``."""

    def reseal(self, sealed: bytes) -> bytes:
        """The same contact sealed under the newest key, or raise ``ContactUnreadable``."""


class ContactUnreadable(Exception):
    """A sealed contact no configured key opens (a key removed too early, a damaged row)."""


class WorkingCalendar(Protocol):
    """The part of the business calendar notify uses."""

    def next_opening(self, t: datetime) -> datetime:
        """``t`` in office hours, else the next opening."""

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days after ``start``."""

    def subtract_working_days(self, t: datetime, days: int) -> datetime:
        """``days`` working days before ``t``."""

    def add_working_hours(self, start: datetime, hours: int) -> datetime:
        """``hours`` working hours after ``start``."""

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

"""Ports of notify's use-cases: the store, its unit of work, sealing, channels, calendar, clock."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from dunghan_common.clock import Clock

from notify.domain.models import (
    ChannelName,
    Facts,
    Job,
    Letter,
    LetterRequest,
    NewNotification,
    NotificationView,
)

__all__ = ["Clock"]


class IntakeStore(Protocol):
    """What intake reads and writes, inside one transaction (no commit here)."""

    async def lock_dossier(self, dossier_id: str) -> None:
        """Serialise work on one dossier until the transaction ends."""

    async def save_facts(self, facts: Facts, overwrite: bool) -> None:
        """Insert a dossier's facts; replace them when ``overwrite`` (alerts are authoritative)."""

    async def get_facts(self, dossier_id: str) -> Facts | None:
        """The facts of a dossier, if seen."""

    async def mark_breached(self, dossier_id: str, at: datetime) -> None:
        """Remember the dossier became overdue (for the digest)."""

    async def mark_finished(self, dossier_id: str, at: datetime) -> None:
        """Remember the dossier finished (out of the digest)."""

    async def letter_for(self, dossier_id: str, due_at: datetime) -> Letter | None:
        """The letter of (dossier, due date), if issued."""

    async def letter_sent(self, letter_id: int) -> bool:
        """Whether any delivery of the letter is sent or being sent; locks them until commit."""

    async def update_letter(self, letter_id: int, values: dict[str, Any]) -> None:
        """Change an issued letter's revision, cause, reason or withdrawal mark."""

    async def withdraw_jobs(self, letter_id: int, at: datetime, why: str) -> int:
        """Withdraw the letter's queued deliveries (recorded as failed, with ``why``)."""

    async def requeue_withdrawn(self, letter_id: int, not_before: datetime) -> int:
        """Put the letter's withdrawn deliveries back in line."""

    async def add_amendment(
        self, letter: Letter, revision: int, to_cause: str, action: str, at: datetime
    ) -> None:
        """Record what a later cause revision did to a letter (idempotent per revision)."""

    async def insert_letter(self, letter: Letter) -> int | None:
        """Insert a letter under the next number of its unit and year (``letter.number`` is
        ignored: the store numbers it, without gaps); None when (dossier, due_at) has one."""

    async def letters_of(self, dossier_id: str) -> list[Letter]:
        """The letters of a dossier."""

    async def hold_letter(self, request: LetterRequest) -> None:
        """Keep a letter request until the dossier's facts are known (first one wins)."""

    async def take_held_letter(self, dossier_id: str) -> LetterRequest | None:
        """Remove and return the held request of a dossier, if any."""

    async def add_notifications(self, items: list[NewNotification]) -> int:
        """Queue notifications; ones whose dedup key exists are skipped. Returns how many added."""

    async def save_contact(
        self, dossier_id: str, sealed: bytes, channels: list[ChannelName], delete_after: datetime
    ) -> None:
        """Store (or replace) a dossier's sealed contact."""

    async def delete_contact(self, dossier_id: str) -> None:
        """Forget a dossier's contact."""

    async def contact_channels(self, dossier_id: str) -> list[ChannelName]:
        """Which channels the applicant can be reached by (none if no contact)."""


class NotifyStore(IntakeStore, Protocol):
    """Notify's records, inside one transaction (no commit here)."""

    async def get_letter(self, letter_id: int) -> Letter | None:
        """One letter."""

    async def sealed_contact(self, dossier_id: str) -> bytes | None:
        """The sealed contact, for rendering a letter or sending."""

    async def purge_contacts(self, now: datetime) -> list[str]:
        """Delete contacts past their retention; return the dossiers they belonged to."""

    async def claim_jobs(self, now: datetime, lease_s: float, limit: int) -> list[Job]:
        """Claim due jobs (SKIP LOCKED), mark them ``sending``, count the attempt."""

    async def mark_sent(self, job_id: int, at: datetime) -> None:
        """Record a successful send."""

    async def mark_retry(self, job_id: int, not_before: datetime, error: str) -> None:
        """Put a job back for a later try."""

    async def mark_failed(self, job_id: int, at: datetime, error: str) -> None:
        """Record terminal failure."""

    async def count_waiting(self, now: datetime) -> dict[str, int]:
        """Pending jobs held for later (office hours or backoff), by kind."""

    async def overdue_by_unit(self) -> dict[str, list[tuple[str, datetime]]]:
        """Open overdue dossiers seen, by unit: (dossier, due_at)."""

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


class NotifyUnit(Protocol):
    """One transaction: its store and its commit."""

    @property
    def store(self) -> NotifyStore:
        """The store of this transaction."""

    async def staged(self, dossier_ids: Collection[str]) -> IntakeStore:
        """A store for a batch on these dossiers: locks them and reads them up front, and
        writes what the batch did in a few set-based statements (at the latest on commit)."""

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
    """Renders a letter as PDF (HTML is pure and lives in the domain)."""

    def pdf(self, html_doc: object) -> bytes:
        """The letter as a PDF."""

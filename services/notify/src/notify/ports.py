"""Ports of notify's use-cases: the store, its unit of work, sealing, channels, calendar, clock."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from dunghan_common.clock import Clock
from dunghan_common.units import UnitDirectory

from notify.domain.letters import LetterDocument
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
        self, dossier_id: str, sealed: bytes, channels: list[ChannelName]
    ) -> None:
        """Store (or replace) a dossier's sealed contact (kept until the end of the need)."""

    async def save_official_contact(self, official_id: str, sealed: bytes, at: datetime) -> None:
        """Store an official's sealed contact seen at ``at`` (an older one never wins)."""

    async def has_official_contact(self, official_id: str) -> bool:
        """Whether `dossier-contacts` brought an email for this official."""

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

    async def held_letters(self) -> list[Letter]:
        """Letters held for a unit missing from the directory, oldest first."""

    async def release_letter(self, letter_id: int) -> None:
        """The letter is no longer held (its unit is in the directory now)."""

    async def sealed_official_contact(self, official_id: str) -> bytes | None:
        """An official's sealed contact from `dossier-contacts`, if any."""

    async def purge_contacts(self, now: datetime, retention: timedelta) -> int:
        """Delete contacts whose need ended ``retention`` ago (docs/domain.md §9)."""

    async def sealed_page(self, which: str, after: str, limit: int) -> list[tuple[str, bytes]]:
        """(id, sealed) of ``applicant`` or ``official`` contacts after ``after``, locked."""

    async def replace_sealed(self, which: str, rows: list[tuple[str, bytes]]) -> None:
        """Write re-sealed contacts back."""

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

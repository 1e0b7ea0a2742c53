"""Delivery: claim due jobs, send each with its idempotency key, record the outcome.

Guarantee: at-least-once delivery with a stable idempotency key (the receiver de-duplicates),
exactly one letter. Jobs are claimed under a claim id and marked ``sending`` (committed) before
the send; only the claim's holder writes a job's outcome, the lease is renewed while the batch
is sent, and each job is re-checked as still held just before its send. What is left is SMTP's
own at-least-once: a worker that dies (or loses its database) between the server's 250 and the
commit of ``sent`` leaves the job to be sent again after the lease, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from notify.domain.copies import copy_address
from notify.domain.letters import LetterDocument, TitleWord, moment
from notify.domain.models import ChannelName, Job, Kind, RecipientRole
from notify.domain.policy import backoff, idempotency_key
from notify.ports import (
    Channel,
    Clock,
    ContactUnreadable,
    DeliveryError,
    LetterRenderer,
    Message,
    Sealer,
    UnitDirectoryProvider,
    UnitOfWorkFactory,
    WorkingCalendar,
)
from notify.usecases.letter_jobs import letter_document, open_contact

log = logging.getLogger(__name__)
AfterSend = Callable[[Job], Awaitable[None]]


class DeliveryObserver(Protocol):
    """Where delivery outcomes are counted (metrics)."""

    def observe(self, kind: str, channel: str, outcome: str, seconds: float | None) -> None:
        """Count one outcome, with the send's latency when a send was tried."""

    def unaddressed(self, recipient_role: str) -> None:
        """Count a letter's copy the unit directory gives no address for."""

    def contact_unreadable(self, where: str) -> None:
        """Count a letter shown or sent without its addressee: no key opens the contact."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry and claiming settings."""

    max_attempts: int = 6
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    lease_s: float = 300.0
    batch: int = 100
    title_word: TitleWord = "Phiếu"
    applicant_office_hours_only: bool = True


class Deliverer:
    """Sends what is due; one claim transaction, then one outcome transaction per job."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        channels: dict[ChannelName, Channel],
        sealer: Sealer,
        directory: UnitDirectoryProvider,
        renderer: LetterRenderer,
        clock: Clock,
        calendar: WorkingCalendar,
        observer: DeliveryObserver,
        policy: DeliveryPolicy,
        after_send: AfterSend | None = None,
    ) -> None:
        self._uow, self._channels, self._sealer = uow, channels, sealer
        self._directory, self._renderer, self._clock = directory, renderer, clock
        self._calendar, self._observer, self._policy = calendar, observer, policy
        self._after_send = after_send

    async def run_once(self) -> int:
        """Deliver one batch of due jobs under one claim; return how many were claimed."""
        claim = uuid.uuid4().hex
        async with self._uow() as unit:
            jobs = await unit.store.claim_jobs(
                self._clock.now(), self._policy.lease_s, self._policy.batch, claim
            )
            await unit.commit()
        if not jobs:
            return 0
        renewing = asyncio.create_task(self._keep_lease(claim))
        try:
            for job in jobs:
                await self._deliver(job, claim)
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        return len(jobs)

    async def _keep_lease(self, claim: str) -> None:
        """Renew the claim's lease every third of it while its batch is being sent."""
        while True:
            await asyncio.sleep(self._policy.lease_s / 3)
            try:
                async with self._uow() as unit:
                    await unit.store.renew_claim(claim, self._clock.now())
                    await unit.commit()
            except Exception as exc:  # a missed renewal is re-tried; the per-job check fences
                log.warning("lease renewal failed", extra={"error": type(exc).__name__})

    async def _deliver(self, job: Job, claim: str) -> None:
        message = await self._prepare(job, claim)
        if message is None:
            return
        async with self._uow() as unit:  # fence: a job whose lease passed to another is left
            held = await unit.store.renew_claim(claim, self._clock.now(), job.id)
            await unit.commit()
        if not held:
            self._observer.observe(job.kind, job.channel, "lost", None)
            log.warning("claim lost before sending", extra={"job": job.id})
            return
        started = time.perf_counter()
        try:
            await self._channels[job.channel].send(message)
        except DeliveryError as exc:
            await self._failed(job, claim, exc, time.perf_counter() - started)
            return
        elapsed = time.perf_counter() - started
        if self._after_send is not None:
            await self._after_send(job)
        async with self._uow() as unit:
            recorded = await unit.store.mark_sent(job.id, claim, self._clock.now())
            await unit.commit()
        if not recorded:
            log.warning("sent after the claim was lost", extra={"job": job.id})
        self._observer.observe(job.kind, job.channel, "sent", elapsed)

    async def _prepare(self, job: Job, claim: str) -> Message | None:
        """The job's message; a job that cannot be prepared fails alone, with its reason."""
        try:
            return await self._compose(job)
        except ContactUnreadable as exc:
            failure = DeliveryError(f"contact unreadable: {exc}", permanent=True)
        except DeliveryError as exc:
            failure = exc
        except Exception as exc:  # one job's defect must not stop its batch: retried, then failed
            log.exception("preparing a message failed", extra={"job": job.id})
            failure = DeliveryError(f"preparing failed: {type(exc).__name__}")
        await self._failed(job, claim, failure, None)
        return None

    async def _failed(
        self, job: Job, claim: str, exc: DeliveryError, elapsed: float | None
    ) -> None:
        """Retry with backoff (in office hours when a person reads it), or give up for good."""
        error = str(exc)[:500]
        now = self._clock.now()
        terminal = exc.permanent or job.attempts >= self._policy.max_attempts
        async with self._uow() as unit:
            if terminal:
                await unit.store.mark_failed(job.id, claim, now, error)
            else:
                delay = backoff(
                    job.attempts, self._policy.backoff_base_s, self._policy.backoff_cap_s
                )
                await unit.store.mark_retry(job.id, claim, self._when(job, now + delay), error)
            await unit.commit()
        outcome = "failed" if terminal else "retried"
        self._observer.observe(job.kind, job.channel, outcome, elapsed)
        log.warning("send failed", extra={"job": job.id, "outcome": outcome, "error": error})

    def _when(self, job: Job, earliest: datetime) -> datetime:
        """When a retry may go: a person is written to in office hours only; DOST at any time."""
        if job.recipient_role is RecipientRole.DOST:
            return earliest
        if job.recipient_role is RecipientRole.APPLICANT and not (
            self._policy.applicant_office_hours_only
        ):
            return earliest
        return self._calendar.next_opening(earliest)

    async def _compose(self, job: Job) -> Message:
        """The message of a job, with its recipient resolved now (contacts are never queued)."""
        key = idempotency_key(job.dedup_key)
        meta = {"kind": job.kind.value, "dossier_id": job.dossier_id or ""}
        to = await self._address(job)
        if job.kind is not Kind.APOLOGY:
            return Message(
                to=to, subject=job.subject, text=job.body, idempotency_key=key, meta=meta
            )
        doc = await self._letter(job)
        if job.channel is ChannelName.SMS:
            return Message(to=to, subject=job.subject, text=sms_text(doc), idempotency_key=key)
        html = self._renderer.html(doc)
        text = "\n".join(doc.paragraphs())
        rendered = await asyncio.to_thread(self._renderer.pdf, doc)  # CPU: off the event loop
        pdf = ("phieu-xin-loi.pdf", "application/pdf", rendered)
        return Message(
            to=to,
            subject=job.subject,
            text=text,
            html=html,
            idempotency_key=key,
            attachments=[pdf],
            meta=meta,
        )

    async def _letter(self, job: Job) -> LetterDocument:
        async with self._uow() as unit:
            letter = await unit.store.get_letter(job.letter_id or 0)
            sealed = await unit.store.sealed_contact(job.dossier_id or "")
        if letter is None:
            raise DeliveryError("letter missing", permanent=True)
        contact, unreadable = open_contact(self._sealer, sealed)  # the copies go all the same
        if unreadable:
            self._observer.contact_unreadable("delivery")
        doc = letter_document(
            self._directory.current(), letter, contact, self._policy.title_word, unreadable
        )
        if doc is None:  # the unit left the directory after the letter was issued: retry later
            raise DeliveryError(f"unit {letter.unit_code} not in the unit directory")
        return doc

    async def _address(self, job: Job) -> str:
        """Where the message goes; a vanished contact is a permanent failure."""
        match job.recipient_role:
            case RecipientRole.APPLICANT:
                async with self._uow() as unit:
                    sealed = await unit.store.sealed_contact(job.dossier_id or "")
                field = "email" if job.channel is ChannelName.EMAIL else "phone"
                found = self._sealer.open(sealed).get(field) if sealed else None
            case RecipientRole.OFFICIAL:
                found = await self._official_address(job)
            case RecipientRole.UNIT_HEAD:
                entry = self._directory.current().unit(job.recipient_ref)
                found = entry.head.email if entry and entry.head else None
            case RecipientRole.SERVICE_CENTRE | RecipientRole.PROCESSING_UNIT:
                found = self._copy_address(job)
            case RecipientRole.DOST:
                found = "dost"
        if not found:
            raise DeliveryError(
                f"no {job.channel} address for {job.recipient_role}", permanent=True
            )
        return found

    def _copy_address(self, job: Job) -> str | None:
        """A letter copy's address in the directory in force; a missing one is counted."""
        found = copy_address(self._directory.current(), job.recipient_role, job.recipient_ref)
        if not found:
            self._observer.unaddressed(job.recipient_role.value)
            log.warning(
                "letter copy without an address in the unit directory",
                extra={"job": job.id, "unit": job.recipient_ref, "role": job.recipient_role.value},
            )
        return found

    async def _official_address(self, job: Job) -> str | None:
        """An official's email from `dossier-contacts` (the source's latest), else the
        directory's; the phone from the directory (the topic carries none)."""
        official = self._directory.current().official(job.recipient_ref)
        if job.channel is not ChannelName.EMAIL:
            return official.phone if official is not None else None
        async with self._uow() as unit:
            sealed = await unit.store.sealed_official_contact(job.recipient_ref)
        stored = self._sealer.open(sealed).get("email") if sealed else None
        return stored or (official.email if official is not None else None)


def sms_text(doc: LetterDocument) -> str:
    """The letter in one SMS: who apologises, for which dossier, and the new date."""
    lt = doc.letter
    return (
        f"{doc.unit.name} xin lỗi: hồ sơ {lt.dossier_id} chưa có kết quả đúng hẹn. "
        f"Hẹn trả mới: {moment(lt.new_due_at)}. Phiếu số {doc.number_text()}."
        if doc.ready_at is None
        else f"{doc.unit.name} xin lỗi: kết quả hồ sơ {lt.dossier_id} có chậm so với hẹn "
        f"(có từ {moment(doc.ready_at)}). Phiếu số {doc.number_text()}."
    )

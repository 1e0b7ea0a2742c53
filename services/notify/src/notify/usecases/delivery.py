"""Delivery: claim due jobs, send each with its idempotency key, record the outcome.

Guarantee: at-least-once delivery with a stable idempotency key (the receiver de-duplicates),
exactly one letter. A job is marked ``sending`` (committed) before the send; if the process dies
between the send and recording it, the job's lease runs out and it is sent again, same key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from notify.domain.letters import LetterDocument, TitleWord, moment
from notify.domain.models import ChannelName, Job, Kind, RecipientRole
from notify.domain.policy import backoff, idempotency_key
from notify.ports import (
    Channel,
    Clock,
    DeliveryError,
    LetterRenderer,
    Message,
    Sealer,
    UnitDirectoryProvider,
    UnitOfWorkFactory,
)
from notify.usecases.letter_jobs import letter_document

log = logging.getLogger(__name__)
AfterSend = Callable[[Job], Awaitable[None]]


class DeliveryObserver(Protocol):
    """Where delivery outcomes are counted (metrics)."""

    def observe(self, kind: str, channel: str, outcome: str, seconds: float | None) -> None:
        """Count one outcome, with the send's latency when a send was tried."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry and claiming settings."""

    max_attempts: int = 6
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    lease_s: float = 300.0
    batch: int = 100
    title_word: TitleWord = "Phiếu"


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
        observer: DeliveryObserver,
        policy: DeliveryPolicy,
        after_send: AfterSend | None = None,
    ) -> None:
        self._uow, self._channels, self._sealer = uow, channels, sealer
        self._directory, self._renderer, self._clock = directory, renderer, clock
        self._observer, self._policy, self._after_send = observer, policy, after_send

    async def run_once(self) -> int:
        """Deliver one batch of due jobs; return how many were claimed."""
        async with self._uow() as unit:
            jobs = await unit.store.claim_jobs(
                self._clock.now(), self._policy.lease_s, self._policy.batch
            )
            await unit.commit()
        for job in jobs:
            await self._deliver(job)
        return len(jobs)

    async def _deliver(self, job: Job) -> None:
        started: float | None = None
        try:
            message = await self._compose(job)
            started = time.perf_counter()
            await self._channels[job.channel].send(message)
        except DeliveryError as exc:
            elapsed = None if started is None else time.perf_counter() - started
            await self._failed(job, exc, elapsed)
            return
        elapsed = time.perf_counter() - started
        if self._after_send is not None:
            await self._after_send(job)
        async with self._uow() as unit:
            await unit.store.mark_sent(job.id, self._clock.now())
            await unit.commit()
        self._observer.observe(job.kind, job.channel, "sent", elapsed)

    async def _failed(self, job: Job, exc: DeliveryError, elapsed: float | None) -> None:
        """Retry with backoff, or give up for good after the last attempt."""
        error = str(exc)[:500]
        now = self._clock.now()
        terminal = exc.permanent or job.attempts >= self._policy.max_attempts
        async with self._uow() as unit:
            if terminal:
                await unit.store.mark_failed(job.id, now, error)
            else:
                delay = backoff(
                    job.attempts, self._policy.backoff_base_s, self._policy.backoff_cap_s
                )
                await unit.store.mark_retry(job.id, now + delay, error)
            await unit.commit()
        outcome = "failed" if terminal else "retried"
        self._observer.observe(job.kind, job.channel, outcome, elapsed)
        log.warning("send failed", extra={"job": job.id, "outcome": outcome, "error": error})

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
        contact = self._sealer.open(sealed) if sealed else None
        doc = letter_document(self._directory.current(), letter, contact, self._policy.title_word)
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
                official = self._directory.current().official(job.recipient_ref)
                found = None
                if official is not None:
                    email = job.channel is ChannelName.EMAIL
                    found = official.email if email else official.phone
            case RecipientRole.UNIT_HEAD:
                entry = self._directory.current().unit(job.recipient_ref)
                found = entry.head.email if entry and entry.head else None
            case RecipientRole.SERVICE_CENTRE:
                entry = self._directory.current().unit(job.recipient_ref)
                found = entry.copy_to.email if entry and entry.copy_to else None
            case RecipientRole.DOST:
                found = "dost"
        if not found:
            raise DeliveryError(
                f"no {job.channel} address for {job.recipient_role}", permanent=True
            )
        return found


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

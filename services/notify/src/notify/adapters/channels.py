"""Delivery channels behind one interface: SMTP email, an HTTP SMS gateway, a webhook, a log stub.

Every send carries the job's idempotency key (email: the Message-ID; HTTP: the ``Idempotency-Key``
header) so a re-send after a crash is recognisable as the same message by the receiver.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import httpx

from notify.ports import DeliveryError, Message

log = logging.getLogger(__name__)
IDEMPOTENCY_HEADER = "Idempotency-Key"


class EmailChannel:
    """Email over SMTP (aiosmtplib); the Message-ID is derived from the idempotency key."""

    def __init__(
        self, host: str, port: int, sender: str, starttls: bool = False, timeout_s: float = 10.0
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._timeout = starttls, timeout_s

    async def send(self, message: Message) -> None:
        """Send one email; 5xx answers are permanent failures, the rest are retried."""
        email = self._build(message)
        try:
            await aiosmtplib.send(
                email,
                hostname=self._host,
                port=self._port,
                start_tls=self._starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.code}", permanent=500 <= exc.code < 600) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"smtp {type(exc).__name__}") from exc

    def _build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        domain = self._sender.partition("@")[2] or "dunghan.local"
        email["Message-ID"] = f"<{message.idempotency_key}@{domain}>"
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        for filename, mime, data in message.attachments:
            main, _, sub = mime.partition("/")
            email.add_attachment(data, maintype=main, subtype=sub, filename=filename)
        return email


class _HttpChannel:
    """POST JSON with an idempotency key; 4xx (except 408/429) is permanent."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self._url, self._timeout = url, timeout_s

    async def _post(self, body: dict[str, str], key: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self._url, json=body, headers={IDEMPOTENCY_HEADER: key}
                )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"http {type(exc).__name__}") from exc
        status = response.status_code
        if status >= 300:
            permanent = 400 <= status < 500 and status not in (408, 429)
            raise DeliveryError(f"http {status}", permanent=permanent)


class SmsChannel(_HttpChannel):
    """SMS through an HTTP gateway: ``POST {to, text}``."""

    async def send(self, message: Message) -> None:
        """Send one SMS."""
        await self._post({"to": message.to, "text": message.text}, message.idempotency_key)


class WebhookChannel(_HttpChannel):
    """A generic webhook (DOST): ``POST {kind, dossier_id, subject, text}``."""

    async def send(self, message: Message) -> None:
        """Post one notice."""
        body = {**message.meta, "subject": message.subject, "text": message.text}
        await self._post(body, message.idempotency_key)


class LogChannel:
    """The development stub: logs that a message would go out (key and kind, no content)."""

    def __init__(self, name: str) -> None:
        self._name = name

    async def send(self, message: Message) -> None:
        """Log instead of sending."""
        log.info(
            "stub send",
            extra={
                "channel": self._name,
                "key": message.idempotency_key,
                "kind": message.meta.get("kind", ""),
            },
        )

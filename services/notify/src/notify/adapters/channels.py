"""Delivery channels behind one interface: SMTP email, an HTTP SMS gateway, a webhook, a log stub.

Every send carries the job's idempotency key (email: the Message-ID; HTTP: the ``Idempotency-Key``
header, and ``webhook-id`` for webhooks) so a re-send after a crash is recognisable as the same
message by the receiver. Webhooks are signed after Standard Webhooks (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 of ``id.timestamp.body``), with the
``standardwebhooks`` library.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import httpx
import orjson
from standardwebhooks.webhooks import Webhook

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

    def _headers(self, key: str, body: bytes) -> dict[str, str]:
        del body
        return {IDEMPOTENCY_HEADER: key, "content-type": "application/json"}

    async def _post(self, body: dict[str, str], key: str) -> None:
        raw = orjson.dumps(body)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self._url, content=raw, headers=self._headers(key, raw)
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
    """A webhook (DOST): ``POST {kind, dossier_id, subject, text}``, signed when given a secret."""

    def __init__(
        self,
        url: str,
        timeout_s: float,
        secret: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(url, timeout_s)
        self._signer = Webhook(secret) if secret else None
        self._now = now

    def _headers(self, key: str, body: bytes) -> dict[str, str]:
        """The idempotency key doubles as ``webhook-id``; the timestamp is the send's."""
        headers = super()._headers(key, body)
        if self._signer is not None:
            at = self._now().astimezone(UTC)
            headers["webhook-id"] = key
            headers["webhook-timestamp"] = str(int(at.timestamp()))
            headers["webhook-signature"] = self._signer.sign(key, at, body.decode())
        return headers

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

"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``.

The signed content is built from the ``webhook-id`` and ``webhook-timestamp`` headers exactly as
sent (the specification signs the header values, not a re-rendering of them) and the raw body
bytes; the timestamp must be plain decimal Unix seconds. The maintained ``standardwebhooks``
package (1.1) does not fit: it signs ``str(floor(float(timestamp)))`` rather than the header
(``1700000000.9`` or ``01700000000`` verify against another string than the one sent), decodes
the body as UTF-8 (a non-UTF-8 body raises instead of failing verification), raises
``ValueError`` on a signature without a comma, and reads the wall clock with a fixed 5-minute
tolerance where ingest takes its clock and tolerance as inputs. The specification's own test
vector is checked in the unit tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

#: ``webhook-timestamp``: Unix seconds in plain decimal digits, nothing else.
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True, slots=True)
class SignatureHeaders:
    """The three headers of a signed request, as received (any may be missing)."""

    webhook_id: str | None
    timestamp: str | None
    signature: str | None


class SignatureError(ValueError):
    """The request is unsigned, stale or wrongly signed (answered 401)."""


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a configured secret: ``whsec_`` secrets are base64, others raw text."""
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1,<base64>`` signature a sender puts in ``webhook-signature``."""
    head = f"{webhook_id}.{timestamp}.".encode()
    digest = hmac.new(secret_bytes(secret), head + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secrets: list[str], headers: SignatureHeaders, body: bytes, now_s: float, tolerance_s: int
) -> None:
    """Raise `SignatureError` unless one signature matches one secret within the time window."""
    if not (headers.webhook_id and headers.timestamp and headers.signature):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    # Digits only, and few: a 400-digit integer cannot be compared with a float clock (overflow).
    if not _UNIX_SECONDS.fullmatch(headers.timestamp):
        raise SignatureError("webhook-timestamp is not Unix seconds")
    timestamp = int(headers.timestamp)
    if abs(now_s - timestamp) > tolerance_s:
        raise SignatureError("webhook-timestamp outside the allowed window")
    presented = _presented(headers.signature)
    matched = False
    for secret in secrets:
        try:
            expected = _raw_digest(secret, headers.webhook_id, headers.timestamp, body)
        except UnicodeEncodeError:
            raise SignatureError("webhook-id is not as an HTTP header carries it") from None
        for candidate in presented:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no valid signature")


def _raw_digest(secret: str, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    """The HMAC of ``{id}.{timestamp}.{body}`` over the header bytes as they arrived.

    The HTTP layer decodes header bytes as Latin-1, so encoding them back gives the bytes sent.
    """
    content = f"{webhook_id}.{timestamp}.".encode("latin-1") + body
    return hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()


def _presented(header: str) -> list[bytes]:
    """The decoded ``v1`` signatures of a header (space separated; others are ignored)."""
    found: list[bytes] = []
    for part in header.split():
        version, _, value = part.partition(",")
        if version != "v1":
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found

"""Contacts sealed at rest with Fernet (AES-128-CBC + HMAC-SHA256), under several keys.

``MultiFernet``: the first key seals, every key opens, so a new key is put first and the old one
kept until ``python -m notify reseal`` has re-sealed every contact under the new one
(docs/operations.md, "Rotating the contacts key").
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from notify.ports import ContactUnreadable


class FernetSealer:
    """Seals a contact's fields into an opaque token, and opens it again, under several keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one contacts key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def seal(self, data: dict[str, str]) -> bytes:
        """Encrypt the fields under the newest key."""
        return self._fernet.encrypt(orjson.dumps(data))

    def seal_bytes(self, data: bytes) -> bytes:
        """Encrypt opaque bytes (a dead letter of the contacts topic) with the same key."""
        return self._fernet.encrypt(data)

    def open_bytes(self, sealed: bytes) -> bytes:
        """Decrypt what `seal_bytes` sealed."""
        return self._fernet.decrypt(sealed)

    def open(self, sealed: bytes) -> dict[str, str]:
        """Decrypt the fields under whichever key sealed them."""
        try:
            loaded: dict[str, str] = orjson.loads(self._fernet.decrypt(sealed))
        except (InvalidToken, orjson.JSONDecodeError) as exc:
            raise ContactUnreadable("no contacts key opens this contact") from exc
        return loaded

    def reseal(self, sealed: bytes) -> bytes:
        """The same token re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken as exc:
            raise ContactUnreadable("no contacts key opens this contact") from exc

"""Contacts sealed at rest with Fernet (AES-128-CBC + HMAC-SHA256), key from settings."""

from __future__ import annotations

import orjson
from cryptography.fernet import Fernet


class FernetSealer:
    """Seals a contact's fields into an opaque token, and opens it again."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, data: dict[str, str]) -> bytes:
        """Encrypt the fields."""
        return self._fernet.encrypt(orjson.dumps(data))

    def seal_bytes(self, data: bytes) -> bytes:
        """Encrypt opaque bytes (a dead letter of the contacts topic) with the same key."""
        return self._fernet.encrypt(data)

    def open_bytes(self, sealed: bytes) -> bytes:
        """Decrypt what `seal_bytes` sealed."""
        return self._fernet.decrypt(sealed)

    def open(self, sealed: bytes) -> dict[str, str]:
        """Decrypt the fields."""
        loaded: dict[str, str] = orjson.loads(self._fernet.decrypt(sealed))
        return loaded

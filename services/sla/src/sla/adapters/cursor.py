"""Opaque keyset cursors of the dossier lists: base64url of (due_at, dossier_id)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

import orjson
from dunghan_common.bounds import has_nul, storable_time


class CursorError(ValueError):
    """The cursor was not made by this service."""


def encode_cursor(due_at: dt.datetime, dossier_id: str) -> str:
    """The cursor that resumes after this dossier."""
    raw = orjson.dumps([due_at.isoformat(), dossier_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """The keyset position of a cursor; ``CursorError`` if malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, dossier = orjson.loads(raw)
        moment = dt.datetime.fromisoformat(due)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise CursorError("malformed cursor") from exc
    # A forged cursor may carry what the database cannot take: NUL, or a time overflowing UTC.
    if not isinstance(dossier, str) or has_nul(dossier) or not storable_time(moment):
        raise CursorError("malformed cursor")
    return moment, dossier

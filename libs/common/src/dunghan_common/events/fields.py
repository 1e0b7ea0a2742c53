"""Building blocks of the event schemas: bounded strings, RFC 3339 times, the data base model."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

#: The characters real codes use (dossier, unit, procedure codes such as
#: ``000.00.12.H50-250801-0001``, ``1.004227``; official ids, components, error codes): ASCII
#: letters and digits and ``. _ - : /``. No space, no zero-width character and no look-alike
#: letter (Cyrillic ``А``, Vietnamese ``Đ``) that would make one dossier two; safe as Kafka keys.
CODE_PATTERN = r"^[0-9A-Za-z_.:/-]+$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=CODE_PATTERN)]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
Source = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[str, StringConstraints(max_length=32, pattern=r"^\+?[0-9 ().-]{3,31}$")]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://\S+$")]
StatusCode = Annotated[int, Field(ge=1, le=10, description="portal status code, docs/domain.md §3")]

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_EXAMPLE = "e.g. 2025-08-01T10:00:00+07:00"


def parse_rfc3339(value: object) -> datetime:
    """Parse an RFC 3339 date-time that carries its UTC offset; reject naive or other formats."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError("naive_datetime", f"must carry a UTC offset, {_EXAMPLE}")
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type", f"must be an RFC 3339 date-time string, {_EXAMPLE}"
        )
    if _RFC3339.fullmatch(value) is None:
        raise PydanticCustomError("rfc3339", _format_message(value))
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise PydanticCustomError("rfc3339", f"is not a valid date-time, {_EXAMPLE}") from None


def _format_message(value: str) -> str:
    """Explain a malformed time without echoing it; call out the common naive-time mistake."""
    if _RFC3339.fullmatch(value + "Z") is not None:
        return f"has no UTC offset; RFC 3339 requires one, {_EXAMPLE}"
    return f"must be an RFC 3339 date-time with a UTC offset, {_EXAMPLE}"


# The pre-parse keeps pydantic's lax parsing out (it would take Unix timestamps and bare dates);
# the `datetime` annotation keeps `format: date-time` in the JSON schema used for OpenAPI.
Rfc3339 = Annotated[datetime, BeforeValidator(parse_rfc3339)]


# Strict: a pushed "3" is not the number 3, nor 1 a boolean; the contract's JSON types are exact.
STRICT_CONFIG = ConfigDict(strict=True, extra="forbid", frozen=True)


class EventData(BaseModel):
    """Base of every event's `data`: strict types, unknown fields rejected, immutable."""

    model_config = STRICT_CONFIG

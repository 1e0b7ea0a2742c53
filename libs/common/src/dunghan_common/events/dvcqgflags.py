"""The ``dvcqgflags`` extension attribute: what ingest had to guess translating the portal format.

An event derived from the national portal's sync format carries, space-separated, the guesses
behind it (docs/contract.md §1b): the time limit inferred from the appointment, a time taken from
the arrival, an unknown unit, channel or payment code. sla keeps them as flags of the dossier, so
a due date resting on a guess is visible where the due date is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

#: The extension attribute's name (Kafka header ``ce_dvcqgflags``).
DVCQG_FLAGS_ATTRIBUTE: Final = "dvcqgflags"

DvcqgFlag = Literal[
    "time_limit_inferred",
    "time_from_arrival",
    "unknown_unit",
    "unknown_channel",
    "unknown_payment",
]
DVCQG_FLAGS: Final = frozenset(get_args(DvcqgFlag))


def dvcqg_flags(extensions: Mapping[str, object] | None) -> tuple[str, ...]:
    """The declared flags an event's extension attributes carry, sorted; others are ignored."""
    raw = (extensions or {}).get(DVCQG_FLAGS_ATTRIBUTE)
    if not isinstance(raw, str):
        return ()
    return tuple(sorted({f for f in raw.split() if f in DVCQG_FLAGS}))

"""The copies of an apology letter (docs/domain.md §5): to the service centre that received the
dossier and to the processing unit, each at the address the unit directory gives.

Pure. The deliveries (``usecases/letter_jobs``), the address at send time (``usecases/delivery``)
and the letter's "Nơi nhận:" (``letter_document``) are all read from here, so the list printed is
the list sent. A copy whose unit has no address in the directory is still queued: at send time
it fails for good, visibly (``last_error``) and counted, never silently dropped; and the letter
does not claim it (docs/domain.md, services/notify/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dunghan_common.units import UnitDirectory, UnitEntry

from notify.domain.models import Letter, RecipientRole

#: The recipient roles of a letter's copies.
COPY_ROLES = (RecipientRole.SERVICE_CENTRE, RecipientRole.PROCESSING_UNIT)


@dataclass(frozen=True)
class Copy:
    """One copy: to whom (its role and the unit code its delivery names), what the letter
    prints for it, and its email (None: the directory gives none, the copy cannot go)."""

    role: RecipientRole
    unit_code: str
    name: str | None
    email: str | None


def service_centre(directory: UnitDirectory, letter: Letter) -> UnitEntry | None:
    """The unit whose service centre takes the copy: the receiving one, else the processing."""
    for code in (letter.receiving_unit_code, letter.unit_code):
        found = directory.unit(code) if code else None
        if found is not None and found.copy_to is not None:
            return found
    return None


def copies(directory: UnitDirectory, letter: Letter) -> tuple[Copy, Copy]:
    """The service centre's copy, then the processing (issuing) unit's own, to its mailbox."""
    centre = service_centre(directory, letter)
    if centre is not None and centre.copy_to is not None:
        to_centre = Copy(
            RecipientRole.SERVICE_CENTRE,
            centre.code,
            centre.copy_to.name,
            centre.copy_to.email or None,
        )
    else:  # no service centre known for it: queued all the same, to fail visibly
        code = letter.receiving_unit_code or letter.unit_code
        to_centre = Copy(RecipientRole.SERVICE_CENTRE, code, None, None)
    unit = directory.unit(letter.unit_code)
    to_unit = Copy(
        RecipientRole.PROCESSING_UNIT,
        letter.unit_code,
        unit.name if unit is not None else None,
        (unit.email or None) if unit is not None else None,
    )
    return to_centre, to_unit


def copy_address(directory: UnitDirectory, role: RecipientRole, unit_code: str) -> str | None:
    """Where a copy goes now (the directory in force at send time), or None."""
    unit = directory.unit(unit_code)
    if unit is None:
        return None
    if role is RecipientRole.SERVICE_CENTRE:
        return (unit.copy_to.email or None) if unit.copy_to is not None else None
    return unit.email or None

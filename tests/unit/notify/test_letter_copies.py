"""Pure tests of a letter's copies (``domain/copies``): to the service centre that received the
dossier and to the processing unit, at the directory's addresses; what the letter's "Nơi nhận:"
prints is what is queued to be sent; a copy without an address is queued all the same (it fails
visibly at send time), never dropped, and the letter does not claim it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from dunghan_common.units import UnitDirectory, load_units
from notify.domain.copies import copies, copy_address
from notify.domain.letters import reason_for
from notify.domain.models import Cause, ChannelName, Letter, RecipientRole
from notify.usecases.letter_jobs import letter_document, letter_jobs

UNITS = load_units(Path("config/units.toml"))
SXD, CENTRE, COMMUNE = "000.00.12.H50", "000.00.31.H50", "000.62.05.H50"
T0 = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)


def _letter(unit: str = SXD, receiving: str | None = CENTRE) -> Letter:
    return Letter(
        id=9,
        dossier_id=f"{unit}-250801-0001",
        unit_code=unit,
        number=3,
        year=2025,
        issued_at=T0 + timedelta(days=6),
        cause=Cause.OFFICIAL_DELAY,
        reason=reason_for(Cause.OFFICIAL_DELAY, None),
        procedure_name="Cấp giấy phép xây dựng",
        received_at=T0,
        due_at=T0 + timedelta(days=5),
        new_due_at=T0 + timedelta(days=12),
        receiving_unit_code=receiving,
    )


def _without(code: str, **blank: object) -> UnitDirectory:
    """The committed directory with some fields of one unit blanked out."""
    return UnitDirectory(
        tuple(u.model_copy(update=blank) if u.code == code else u for u in UNITS.units)
    )


def _sent(directory: UnitDirectory, letter: Letter) -> set[tuple[str, str | None]]:
    """The copies queued, each with the address the delivery would resolve for it."""
    jobs = letter_jobs(letter, [ChannelName.EMAIL], directory, T0)
    return {
        (j.recipient_role.value, copy_address(directory, j.recipient_role, j.recipient_ref))
        for j in jobs
        if j.recipient_role is not RecipientRole.APPLICANT
    }


def _printed(directory: UnitDirectory, letter: Letter) -> list[str]:
    doc = letter_document(directory, letter, {"name": "Nguyễn Văn An"})
    assert doc is not None
    return doc.recipients()


def test_both_copies_go_the_receiving_centre_and_the_processing_units_mailbox() -> None:
    sxd, centre = UNITS.unit(SXD), UNITS.unit(CENTRE)
    assert sxd is not None
    assert centre is not None
    assert centre.copy_to is not None
    assert _sent(UNITS, _letter()) == {
        ("service_centre", centre.copy_to.email),
        ("processing_unit", sxd.email),
    }
    assert _printed(UNITS, _letter()) == [
        "Như trên;",
        f"{centre.copy_to.name};",
        "Lưu: VT, SXD.",
    ]


def test_a_processing_unit_without_a_mailbox_its_copy_is_queued_unaddressed_not_printed() -> None:
    directory = _without(SXD, email=None)
    assert ("processing_unit", None) in _sent(directory, _letter())
    printed = _printed(directory, _letter())
    assert printed[-1].endswith(".")
    assert not any(line.startswith("Lưu") for line in printed)


def test_a_centre_without_an_address_is_queued_unaddressed_and_not_printed() -> None:
    blank = UNITS.unit(CENTRE)
    assert blank is not None
    assert blank.copy_to is not None
    directory = _without(CENTRE, copy_to=blank.copy_to.model_copy(update={"email": None}))
    assert ("service_centre", None) in _sent(directory, _letter())
    assert blank.copy_to.name + ";" not in _printed(directory, _letter())
    assert _printed(directory, _letter()) == ["Như trên;", "Lưu: VT, SXD."]


def test_no_centre_known_at_all_the_copy_is_still_queued_to_fail_visibly() -> None:
    directory = _without(COMMUNE, copy_to=None)
    to_centre, to_unit = copies(directory, _letter(COMMUNE, receiving=None))
    assert (to_centre.role, to_centre.unit_code, to_centre.email) == (
        RecipientRole.SERVICE_CENTRE,
        COMMUNE,
        None,
    )
    assert to_unit.email is not None


def test_the_copy_follows_the_receiving_centre_not_the_processing_units() -> None:
    to_centre, _ = copies(UNITS, _letter(COMMUNE, receiving=CENTRE))
    assert to_centre.unit_code == CENTRE

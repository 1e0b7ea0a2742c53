"""The deliveries of an issued letter, and what the directory says of its unit and copies
(``domain/copies``: the copies printed are the copies sent).

Shared by intake (a letter issued now), the scheduler (a held letter released) and delivery.
"""

from __future__ import annotations

from datetime import datetime

from dunghan_common.units import UnitDirectory

from notify.domain.copies import copies
from notify.domain.letters import Applicant, LetterDocument, TitleWord
from notify.domain.models import ChannelName, Kind, Letter, NewNotification, RecipientRole
from notify.ports import ContactUnreadable, Sealer


def letter_jobs(
    letter: Letter,
    channels: list[ChannelName],
    directory: UnitDirectory,
    not_before: datetime,
    with_copy: bool = True,
    tag: str = "",
) -> list[NewNotification]:
    """The letter to the applicant (each channel they have) and its two copies by email: the
    service centre's and the processing unit's (queued even without an address: the delivery
    then fails visibly and is counted, never dropped).

    ``tag`` names an amendment (``a1``…): an amended letter is delivered again, same number.
    """
    targets = [(RecipientRole.APPLICANT, ch, "applicant") for ch in channels]
    if with_copy:
        targets += [(c.role, ChannelName.EMAIL, c.unit_code) for c in copies(directory, letter)]
    subject = f"Phiếu xin lỗi - hồ sơ {letter.dossier_id}"
    if tag:
        subject = f"Phiếu xin lỗi (điều chỉnh) - hồ sơ {letter.dossier_id}"
    key = f"apology:{letter.id}:{tag}:" if tag else f"apology:{letter.id}:"
    return [
        NewNotification(
            dedup_key=f"{key}{role}:{channel}",
            kind=Kind.APOLOGY,
            dossier_id=letter.dossier_id,
            unit_code=letter.unit_code,
            recipient_role=role,
            recipient_ref=ref,
            channel=channel,
            subject=subject,
            body="",
            letter_id=letter.id,
            not_before=not_before,
        )
        for role, channel, ref in targets
    ]


def open_contact(sealer: Sealer, sealed: bytes | None) -> tuple[dict[str, str] | None, bool]:
    """The applicant's contact (None when none is kept), and whether one is kept that no
    contacts key opens (the letter is still shown, its addressee marked unavailable)."""
    if not sealed:
        return None, False
    try:
        return sealer.open(sealed), False
    except ContactUnreadable:
        return None, True


def letter_document(
    directory: UnitDirectory,
    letter: Letter,
    contact: dict[str, str] | None,
    title_word: TitleWord = "Phiếu",
    contact_unreadable: bool = False,
) -> LetterDocument | None:
    """What the letter prints, or None while its unit has no complete directory entry."""
    unit = directory.signing_unit(letter.unit_code)
    if unit is None:
        return None
    contact = contact or {}
    to_centre, to_unit = copies(directory, letter)
    return LetterDocument(
        letter=letter,
        unit=unit,
        applicant=Applicant(
            name=contact.get("name"),
            kind=contact.get("kind") or "citizen",
            unreadable=contact_unreadable,
        ),
        copy_to=to_centre.name if to_centre.email else None,
        unit_copy=to_unit.email is not None,
        title_word=title_word,
        ready_at=letter.ready_at,
    )

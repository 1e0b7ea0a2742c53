"""The deliveries of an issued letter, and what the directory says of its unit and copies.

Shared by intake (a letter issued now), the scheduler (a held letter released) and delivery.
"""

from __future__ import annotations

from datetime import datetime

from dunghan_common.units import UnitDirectory, UnitEntry

from notify.domain.letters import Applicant, LetterDocument, TitleWord
from notify.domain.models import ChannelName, Kind, Letter, NewNotification, RecipientRole


def copy_unit(directory: UnitDirectory, letter: Letter) -> UnitEntry | None:
    """The unit whose service centre takes the copy: the receiving one, else the processing."""
    for code in (letter.receiving_unit_code, letter.unit_code):
        found = directory.unit(code) if code else None
        if found is not None and found.copy_to is not None:
            return found
    return None


def letter_jobs(
    letter: Letter,
    channels: list[ChannelName],
    directory: UnitDirectory,
    not_before: datetime,
    with_copy: bool = True,
    tag: str = "",
) -> list[NewNotification]:
    """The letter to the applicant (each channel they have) and the service centre's copy.

    ``tag`` names an amendment (``a1``…): an amended letter is delivered again, same number.
    """
    targets = [(RecipientRole.APPLICANT, ch, "applicant") for ch in channels]
    copy = copy_unit(directory, letter) if with_copy else None
    if copy is not None and copy.copy_to is not None and copy.copy_to.email:
        targets.append((RecipientRole.SERVICE_CENTRE, ChannelName.EMAIL, copy.code))
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


def letter_document(
    directory: UnitDirectory,
    letter: Letter,
    contact: dict[str, str] | None,
    title_word: TitleWord = "Phiếu",
) -> LetterDocument | None:
    """What the letter prints, or None while its unit has no complete directory entry."""
    unit = directory.signing_unit(letter.unit_code)
    if unit is None:
        return None
    contact = contact or {}
    copy = copy_unit(directory, letter)
    return LetterDocument(
        letter=letter,
        unit=unit,
        applicant=Applicant(name=contact.get("name"), kind=contact.get("kind") or "citizen"),
        copy_to=copy.copy_to.name if copy is not None and copy.copy_to is not None else None,
        title_word=title_word,
        ready_at=letter.ready_at,
    )

"""Emails to a unit's head: one builder for every notice the domain sends a head (a letter
counted late though served, withdrawn or amended after sending, waiting for approval, issued
without it) and for the daily digest. Pure."""

from __future__ import annotations

from datetime import datetime

from dunghan_common.units import UnitDirectory

from notify.domain.models import ChannelName, Kind, NewNotification, RecipientRole


def head_email(directory: UnitDirectory, unit_code: str) -> str | None:
    """The head's email of a unit, when the directory has one."""
    unit = directory.unit(unit_code)
    return unit.head.email if unit is not None and unit.head is not None else None


def head_notice(
    key: str,
    dossier_id: str | None,
    unit_code: str,
    directory: UnitDirectory,
    subject: str,
    body: str,
    not_before: datetime,
    kind: Kind = Kind.NOTICE,
) -> NewNotification | None:
    """An email to the unit's head (a notice, or the daily digest, which names no dossier);
    None when the directory has no email for them."""
    if not head_email(directory, unit_code):
        return None
    return NewNotification(
        dedup_key=key,
        kind=kind,
        dossier_id=dossier_id,
        unit_code=unit_code,
        recipient_role=RecipientRole.UNIT_HEAD,
        recipient_ref=unit_code,
        channel=ChannelName.EMAIL,
        subject=subject,
        body=body,
        not_before=not_before,
    )

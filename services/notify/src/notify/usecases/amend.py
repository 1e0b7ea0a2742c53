"""A later cause revision of a dossier whose letter is already issued: one letter, a true reason.

docs/domain.md §5 wants exactly one letter per dossier and due date *and* a reason that matches the
attributed cause. When the cause changes after the letter was written, the letter is still the
one letter: while nothing of it has gone out it is re-rendered (or withdrawn, when the dossier
turns out not late locally); once sent it stands, and the revision is recorded for the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dunghan_common.units import UnitDirectory

from notify.domain.letters import amendment, reason_for
from notify.domain.models import (
    Amendment,
    Cause,
    ChannelName,
    Kind,
    Letter,
    NewNotification,
    RecipientRole,
)
from notify.domain.policy import amendment_text
from notify.ports import IntakeStore


@dataclass(frozen=True)
class AmendContext:
    """The instant, when requeued deliveries may go, and who heads the unit."""

    now: datetime
    letter_not_before: datetime
    head_not_before: datetime
    directory: UnitDirectory


async def amend_letter(
    store: IntakeStore, letter: Letter, new_cause: str, revision: int, ctx: AmendContext
) -> Amendment | None:
    """Apply attribution ``revision`` to the issued letter; None when it is not newer."""
    if letter.id is None or revision <= letter.revision:
        return None  # a replayed or older revision: already applied
    sent = await store.letter_sent(letter.id)  # locks its deliveries against the worker
    action = amendment(letter, new_cause, sent)
    values: dict[str, Any] = {"revision": revision}
    if action is Amendment.RERENDERED:
        cause = Cause(new_cause)
        values |= {"cause": cause.value, "reason": reason_for(cause, None)}
    if action in (Amendment.RERENDERED, Amendment.UNCHANGED) and letter.withdrawn_at:
        values["withdrawn_at"] = None
        await store.requeue_withdrawn(letter.id, ctx.letter_not_before)
    if action is Amendment.WITHDRAWN:
        values["withdrawn_at"] = ctx.now
        await store.withdraw_jobs(letter.id, ctx.now, f"withdrawn: cause revised to {new_cause}")
    await store.update_letter(letter.id, values)
    await store.add_amendment(letter, revision, new_cause, action.value, ctx.now)
    if action is Amendment.RECORDED:
        await _tell_the_head(store, letter, new_cause, revision, ctx)
    return action


async def _tell_the_head(
    store: IntakeStore, letter: Letter, new_cause: str, revision: int, ctx: AmendContext
) -> None:
    """A note to the unit head (office hours): the sent letter's reason no longer matches."""
    unit = ctx.directory.unit(letter.unit_code)
    if unit is None or unit.head is None or not unit.head.email:
        return  # the amendment row is the record
    number = f"{letter.number:02d}/PXL-{unit.short_name()} ({letter.year})"
    subject, body = amendment_text(letter.dossier_id, number, letter.cause.value, new_cause)
    note = NewNotification(
        dedup_key=f"amendment:{letter.id}:{revision}",
        kind=Kind.REMINDER,
        dossier_id=letter.dossier_id,
        unit_code=letter.unit_code,
        recipient_role=RecipientRole.UNIT_HEAD,
        recipient_ref=letter.unit_code,
        channel=ChannelName.EMAIL,
        subject=subject,
        body=body,
        not_before=ctx.head_not_before,
    )
    await store.add_notifications([note])

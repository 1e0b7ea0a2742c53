"""What happens to one dossier, drawn once from the shares before any time is computed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from dunghan_province.catalogue import ProcedureSpec
from dunghan_province.shares import Shares

Ending = Literal["finished", "stuck", "withdrawn", "stopped", "refused"]
FinalSync = Literal["ok", "lost", "late", "none"]
WORKING_DAY = 28_800
"""Working seconds in one working day (8 hours)."""


@dataclass(frozen=True, slots=True)
class Fate:
    """The drawn fate: how the dossier ends, its detours, and how its pushes reach the portal."""

    online: bool
    ending: Ending
    late: bool
    supplements: int
    financial_pause: bool
    paid_online: bool
    digitised: bool
    in_warehouse: bool
    returned: bool
    reschedules: int
    mismatch: bool
    system_error: bool
    transferred: bool
    printed_due: bool
    synced: bool
    final_sync: FinalSync
    #: on time thanks to a verification pause whose events arrive days late (a straggler)
    late_pause: bool = False


def draw_fate(
    rng: random.Random, s: Shares, spec: ProcedureSpec, limit_s: int, local: bool, in_outage: bool
) -> Fate:
    """Draw a dossier's fate; `limit_s` is its time limit in working seconds."""
    online = rng.random() < spec.online_share
    ending = _ending(rng, s, online)
    mismatch = ending == "finished" and limit_s >= 2 * WORKING_DAY and rng.random() < s.mismatch
    late = not mismatch and ending == "finished" and rng.random() < _late_share(s, in_outage)
    overdue = late or ending == "stuck"
    reschedules = _reschedules(rng, s) if overdue else 0
    supplement = ending == "stopped" or rng.random() < s.supplement
    twice = supplement and ending != "stopped" and rng.random() < s.supplement_twice
    synced = rng.random() >= s.unsynced
    late_pause = ending == "finished" and not (late or mismatch) and rng.random() < s.late_pause
    return Fate(
        online=online,
        ending=ending,
        late=late,
        supplements=(2 if twice else 1) if supplement else 0,
        financial_pause=spec.fee_required and rng.random() < s.financial_pause,
        paid_online=rng.random() < s.paid_online,
        digitised=spec.e_result and rng.random() < s.digitised,
        in_warehouse=rng.random() < s.in_warehouse,
        returned=rng.random() < s.returned,
        reschedules=reschedules,
        mismatch=mismatch,
        system_error=overdue and rng.random() < s.software_error,
        transferred=local and rng.random() < s.transferred,
        printed_due=mismatch or rng.random() >= s.no_printed_due,
        synced=synced,
        final_sync=_final_sync(rng, s, synced, ending, overdue),
        late_pause=late_pause,
    )


def _ending(rng: random.Random, s: Shares, online: bool) -> Ending:
    """How the dossier ends (or does not)."""
    r = rng.random()
    if online and r < s.refused:
        return "refused"
    r = rng.random()
    for ending, share in (("withdrawn", s.withdrawn), ("stopped", s.stopped), ("stuck", s.stuck)):
        if r < share:
            return ending  # type: ignore[return-value]
        r -= share
    return "finished"


def _late_share(s: Shares, in_outage: bool) -> float:
    """Dossiers due inside the outage window are late far more often."""
    return s.outage_late if in_outage else s.late


def _reschedules(rng: random.Random, s: Shares) -> int:
    """0, 1 or 2 apology letters with a new date set before the due date."""
    if rng.random() >= s.rescheduled:
        return 0
    return 2 if rng.random() < s.rescheduled_twice else 1


def _final_sync(
    rng: random.Random, s: Shares, synced: bool, ending: Ending, overdue: bool
) -> FinalSync:
    """How the finishing status reaches the portal; sync faults only hit dossiers on time."""
    if not synced:
        return "none"
    if ending != "finished" or overdue:
        return "ok"
    r = rng.random()
    if r < s.final_lost:
        return "lost"
    return "late" if r < s.final_lost + s.final_late else "ok"

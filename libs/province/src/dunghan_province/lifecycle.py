"""One dossier's life as CloudEvents: its fate laid out on the business calendar.

Times are computed in *active* working seconds from the clock start (the working time the clock
counts), then mapped to wall time by adding the working time of the stopped-clock intervals
before them — exactly how sla stretches a due date under the `pause` rule. So a dossier drawn
late finishes after the due date sla judges it by, and one drawn on time before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dunghan_province.catalogue import ProcedureSpec
from dunghan_province.fate import WORKING_DAY, Fate
from dunghan_province.people import applicant
from dunghan_province.shares import Shares
from dunghan_province.syncing import Outage, Pusher
from dunghan_province.timefmt import iso

_REASONS = {
    "supplement": "Thiếu giấy tờ theo quy định, đề nghị bổ sung",
    "pause": "Chờ thực hiện nghĩa vụ tài chính",
    "reschedule": "Hồ sơ cần xác minh thêm, xin lỗi và hẹn lại ngày trả kết quả",
    "refused": "Hồ sơ không đủ điều kiện tiếp nhận",
    "withdrawn": "Người nộp xin rút hồ sơ",
    "stopped": "Quá thời hạn bổ sung hồ sơ mà người nộp không bổ sung",
}


@dataclass(frozen=True, slots=True)
class Intake:
    """Where and when a dossier came in."""

    code: str
    unit_code: str
    unit_index: int
    spec: ProcedureSpec
    received: int
    transfer_to: str | None = None


@dataclass(slots=True)
class Life:
    """The events of one dossier, as (emit time, event) pairs, and its clock."""

    ctx: Pusher
    intake: Intake
    fate: Fate
    rng: random.Random
    start: int = 0
    pauses: list[tuple[int, int]] = field(default_factory=list)

    def wall(self, active: int) -> int:
        """Wall time of an active offset: the stopped-clock time before it is added."""
        stopped = sum(p for a, p in self.pauses if a < active)
        return self.ctx.cal.add_working_seconds_epoch(self.start, active + stopped)


def live(
    ctx: Pusher, intake: Intake, fate: Fate, rng: random.Random, assignee: dict[str, Any]
) -> Life:
    """Lay out a dossier's events (the pusher collects them) and return its life."""
    cal, spec = ctx.cal, intake.spec
    life = Life(ctx, intake, fate, rng, start=cal.clock_start_epoch(intake.received))
    base_due = cal.due_at_epoch(life.start, spec.limit, spec.unit)
    limit = cal.working_seconds_between_epoch(life.start, base_due)
    judged = limit - WORKING_DAY if fate.mismatch else limit
    end = _end_offset(rng, fate, judged)
    span = min(end, judged)
    _submit(life)
    if fate.ending == "refused":
        ctx.status(intake.code, intake.received, "dossier.refused", {"reason": _REASONS["refused"]})
        return life
    printed = cal.add_working_seconds_epoch(life.start, judged) if fate.printed_due else None
    ctx.status(intake.code, intake.received, "dossier.received", _received(life, printed, assignee))
    _assign_and_transfer(life, span, assignee)
    _late_pause(life, span, end, judged)
    _stopped_clock(life, span, end)
    _payment(life)
    if fate.system_error:
        _system_error(life, int(judged * rng.uniform(0.3, 0.9)))
    due_wall = life.wall(judged)
    _reschedules(life, due_wall)
    _finish(life, end, due_wall)
    return life


def _end_offset(rng: random.Random, fate: Fate, judged: int) -> int:
    """Active offset of the end of processing (or of the due date, for a stuck dossier)."""
    if fate.mismatch:  # between the printed (wrong) due and the computed one: late by the receipt
        return judged + int(WORKING_DAY * rng.uniform(0.1, 0.9))
    if fate.late:
        days = rng.uniform(5.2, 7.5) if fate.reschedules == 2 else rng.uniform(0.05, 3.0)
        return judged + int(WORKING_DAY * days)
    if fate.ending in ("withdrawn", "stopped"):
        return int(judged * rng.uniform(0.3, 0.6))
    if fate.ending == "stuck":
        return judged
    return max(60, int(judged * rng.uniform(0.15, 0.97)))


def _submit(life: Life) -> None:
    """Online dossiers are submitted (status 1) before an official receives them."""
    if not life.fate.online:
        return
    intake = life.intake
    at = intake.received - life.rng.randint(600, 129_600)
    data = {"procedure_code": intake.spec.code, "channel": "online"}
    life.ctx.status(intake.code, at, "dossier.submitted", data)


def _received(life: Life, printed: int | None, assignee: dict[str, Any]) -> dict[str, Any]:
    """The `dossier.received` data: the receipt, with the applicant and the appointment."""
    intake, spec = life.intake, life.intake.spec
    data: dict[str, Any] = {
        "unit_code": intake.unit_code,
        "procedure": {"code": spec.code, "name": spec.name, "level": spec.level},
        "time_limit": {"value": spec.limit, "unit": spec.unit},
        "channel": "online" if life.fate.online else _offline_channel(life.rng),
        "fee_required": spec.fee_required,
        "e_result_required": spec.e_result,
        "applicant": applicant(life.rng),
        "assignee": assignee,
    }
    if printed is not None:
        data["due_at"] = iso(printed)
    if spec.scope != "local" and life.rng.random() < life.ctx.shares.at_centre:
        data["receiving_unit_code"] = life.ctx.centre
    return data


def _offline_channel(rng: random.Random) -> str:
    """Most offline dossiers are filed at the counter, a few by post."""
    return "postal" if rng.random() < 0.08 else "in_person"


def _assign_and_transfer(life: Life, span: int, assignee: dict[str, Any]) -> None:
    """Assignment (status 4), and for a few commune dossiers a transfer to another commune."""
    intake, rng, ctx = life.intake, life.rng, life.ctx
    at = life.wall(max(30, int(span * rng.uniform(0.01, 0.05))))
    ctx.status(intake.code, at, "dossier.assigned", {"assignee": assignee})
    if intake.transfer_to is None:
        return
    at = life.wall(int(span * rng.uniform(0.05, 0.09)))
    data = {"from_unit_code": intake.unit_code, "to_unit_code": intake.transfer_to}
    ctx.status(intake.code, at, "dossier.transferred", data)
    other = ctx.official(intake.transfer_to)
    ctx.status(
        intake.code,
        at + 300,
        "dossier.assigned",
        {"assignee": other, "unit_code": intake.transfer_to},
    )


def _late_pause(life: Life, span: int, end: int, judged: int) -> None:
    """A verification pause long enough that, unknown, the finish looks late; its two events
    are stragglers: the source sends them only days later (late events that flip a verdict)."""
    if not life.fate.late_pause:
        return
    rng, code, ctx = life.rng, life.intake.code, life.ctx
    active = max(60, int(span * rng.uniform(0.05, 0.1)))
    pause = (judged - end) + int(WORKING_DAY * rng.uniform(0.3, 1.5))
    paused = life.wall(active)
    data = {"kind": "verification", "reason": "Xác minh hồ sơ tại cơ quan liên quan"}
    ctx.event(code, paused, "dossier.paused", data, straggler=True)
    ctx.event(code, ctx.cal.add_working_seconds_epoch(paused, pause), "dossier.resumed", {}, True)
    life.pauses.append((active, pause))


def _stopped_clock(life: Life, span: int, end: int) -> None:
    """Supplement requests (status 5) and the wait for fees (status 6): the clock stops."""
    fate, rng, code, ctx = life.fate, life.rng, life.intake.code, life.ctx
    for number in range(fate.supplements):
        active = int(span * rng.uniform(0.1, 0.2) * (number + 1))
        asked = life.wall(active)
        ctx.status(code, asked, "dossier.supplement_requested", {"reason": _REASONS["supplement"]})
        if fate.ending == "stopped":
            return
        pause = int(WORKING_DAY * rng.uniform(0.5, 4.0))
        ctx.status(
            code, ctx.cal.add_working_seconds_epoch(asked, pause), "dossier.supplement_received", {}
        )
        life.pauses.append((active, pause))
    if fate.financial_pause:
        active = int(span * rng.uniform(0.5, 0.85))
        paused = life.wall(active)
        data = {"kind": "financial_obligation", "reason": _REASONS["pause"]}
        ctx.status(code, paused, "dossier.paused", data)
        pause = int(WORKING_DAY * rng.uniform(0.2, 2.0))
        resumed = ctx.cal.add_working_seconds_epoch(paused, pause)
        _pay(life, resumed - rng.randint(60, 900))
        ctx.status(code, resumed, "dossier.resumed", {})
        life.pauses.append((active, pause))


def _payment(life: Life) -> None:
    """Fee-bearing dossiers without a wait for fees pay at submission or at the counter."""
    if life.intake.spec.fee_required and not life.fate.financial_pause:
        _pay(life, life.intake.received + life.rng.randint(60, 1800))


def _pay(life: Life, at: int) -> None:
    """`payment.completed`, online (portal or provincial gateway) or at the counter."""
    if life.fate.paid_online:
        method = (
            "online_national_portal" if life.rng.random() < 0.6 else "online_provincial_gateway"
        )
    else:
        method = "offline"
    data = {"amount": life.intake.spec.fee, "method": method}
    life.ctx.event(life.intake.code, at, "payment.completed", data)


def _system_error(life: Life, active: int) -> None:
    """A software fault of the provincial system hits the dossier while it is open."""
    data = {"component": "igate", "error_code": "E_WORKFLOW", "message": "Lỗi luồng xử lý hồ sơ"}
    life.ctx.event(life.intake.code, life.wall(active), "system.error", data)


def _reschedules(life: Life, due: int) -> None:
    """Apologies with a new appointment, sent inside the apology window (due − 1 working day)."""
    cal, rng, code = life.ctx.cal, life.rng, life.intake.code
    for _ in range(life.fate.reschedules):
        at = max(
            cal.add_working_seconds_epoch(due, -int(WORKING_DAY * rng.uniform(0.2, 0.9))),
            life.intake.received + 60,
        )
        due = cal.add_working_seconds_epoch(due, 5 * WORKING_DAY)
        data = {"new_due_at": iso(due), "reason": _REASONS["reschedule"]}
        life.ctx.event(code, at, "dossier.rescheduled", data)


def _finish(life: Life, end: int, due: int) -> None:
    """End of processing: result (9), digitised copy, hand-over (10); or withdrawal, stop."""
    fate, rng, code, ctx = life.fate, life.rng, life.intake.code, life.ctx
    if fate.ending == "stuck":
        return
    at = life.wall(end)
    if fate.ending in ("withdrawn", "stopped"):
        ctx.status(code, at, f"dossier.{fate.ending}", {"reason": _REASONS[fate.ending]})
        return
    ctx.final(
        code,
        at,
        "dossier.result_ready",
        {"result_code": f"KQ-{code}"},
        due,
        fate.final_sync,
    )
    if fate.digitised:
        url = f"https://dichvucong.quangtri.gov.vn/ketqua/{code}.pdf"
        data = {"file_url": url, "stored_in_data_warehouse": fate.in_warehouse}
        ctx.event(code, at + rng.randint(60, 7200), "dossier.result_digitized", data)
    if fate.returned:
        handed = ctx.cal.add_working_seconds_epoch(at, int(WORKING_DAY * rng.uniform(0.05, 2.0)))
        channel = "online" if fate.online and rng.random() < 0.5 else "in_person"
        ctx.final(code, handed, "dossier.returned", {"channel": channel}, due, fate.final_sync)


__all__ = ["Intake", "Life", "Outage", "Shares", "live"]

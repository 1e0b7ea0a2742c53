"""The pure translator: (held snapshot, new snapshot or step) → events (docs/domain.md §10).

`Held` is what is kept of a dossier between requests: the facts the events already said, never a
personal field. `translate_snapshot` and `translate_step` return the events a change derives, the
next `Held`, and what is recorded (``status_regressed``, ``stale_snapshot``, a rewritten status);
they read no clock and no database, so the same inputs always give the same events with the same
ids (``dvcqg.<MaHoSo>.<what>``): a resend is a duplicate to the ledger as well.

Flags the events carry for sla and the reviewers travel in the ``dvcqgflags`` extension attribute
(space-separated: ``time_limit_inferred``, ``time_from_arrival``, ``unknown_unit``,
``unknown_channel``, ``unknown_payment``); the senders' faults become ``system.error`` events on
the dossier (component ``dvcqg-sender``), which sync-audit weighs as software faults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from dunghan_common.events import CloudEvent, event_model
from dunghan_common.events.dvcqgflags import DVCQG_FLAGS_ATTRIBUTE

from ingest.domain.dvcqg import Person, Reply, Snapshot, Step

SENDER: Final = "dvcqg-sender"
#: The stage of each status: a snapshot moving a dossier to an earlier stage derives nothing.
STAGE: Final = {1: 0, 2: 1, 4: 1, 5: 1, 6: 1, 9: 2, 3: 3, 7: 3, 8: 3, 10: 3}
_CHANNELS: Final = {"1": "in_person", "2": "online", "3": "postal"}
_PAYMENTS: Final = {"1": "online_national_portal", "2": "online_provincial_gateway"}
_SYNTHETIC_FINISH: Final = "không có ngày hẹn trả"


@dataclass(frozen=True, slots=True)
class Limit:
    """A procedure's time limit from the catalogue."""

    value: int
    unit: str = "working_days"


@dataclass(frozen=True, slots=True)
class Context:
    """What the translator reads besides the snapshots: all pure lookups."""

    source: str
    arrival: dt.datetime
    procedure_limit: Callable[[str], Limit | None]
    unit_by_name: Callable[[str], str | None]
    #: None outside development without a configured key: steps then derive no assignment.
    pseudonym_key: bytes | None


@dataclass(init=False)
class Held:
    """The kept state of one dossier (JSON in the snapshot store; no personal data).

    ``__init__`` is written out: the compiled module then builds a `Held` natively (twice per
    object translated) instead of through the dataclass's generated one.
    """

    code: str
    status: int
    digest: str
    latest: str
    submitted: bool
    received: bool
    due_at: str | None
    unit_code: str | None
    paused: bool
    pauses: int
    supplements: dict[str, list[bool]]
    ready: bool
    ended: bool
    paid: bool
    files: list[str]
    steps: dict[str, str]
    faults: list[str]
    #: What objects naming this code derived while no snapshot had shown it (steps, the portal's
    #: answers): ``[what, type, time, data, flags]`` each, derived again under the dossier's code
    #: if a snapshot later names this code its other code (`adopt`). Empty once a snapshot came.
    unlinked: list[list[Any]]

    def __init__(
        self,
        code: str,
        status: int = 0,
        digest: str = "",
        latest: str = "",
        submitted: bool = False,
        received: bool = False,
        due_at: str | None = None,
        unit_code: str | None = None,
        paused: bool = False,
        pauses: int = 0,
        supplements: dict[str, list[bool]] | None = None,
        ready: bool = False,
        ended: bool = False,
        paid: bool = False,
        files: list[str] | None = None,
        steps: dict[str, str] | None = None,
        faults: list[str] | None = None,
        unlinked: list[list[Any]] | None = None,
    ) -> None:
        self.code, self.status, self.digest, self.latest = code, status, digest, latest
        self.submitted, self.received, self.due_at = submitted, received, due_at
        self.unit_code, self.paused, self.pauses = unit_code, paused, pauses
        self.supplements = {} if supplements is None else supplements
        self.ready, self.ended, self.paid = ready, ended, paid
        self.files = [] if files is None else files
        self.steps = {} if steps is None else steps
        self.faults = [] if faults is None else faults
        self.unlinked = [] if unlinked is None else unlinked

    def to_json(self) -> dict[str, Any]:
        """The stored form (every value JSON-able; serialise it before changing this state)."""
        stored = {
            "code": self.code, "status": self.status, "digest": self.digest,
            "latest": self.latest, "submitted": self.submitted, "received": self.received,
            "due_at": self.due_at, "unit_code": self.unit_code, "paused": self.paused,
            "pauses": self.pauses, "supplements": self.supplements, "ready": self.ready,
            "ended": self.ended, "paid": self.paid, "files": self.files, "steps": self.steps,
            "faults": self.faults,
        }  # fmt: skip
        if self.unlinked:  # rare: kept only until a snapshot shows the code
            stored["unlinked"] = self.unlinked
        return stored

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Held:
        """Back from the stored form (keys of another version: the known ones, defaults else)."""
        get = raw.get
        return Held(
            raw["code"], get("status", 0), get("digest", ""), get("latest", ""),
            get("submitted", False), get("received", False), get("due_at"), get("unit_code"),
            get("paused", False), get("pauses", 0), get("supplements"), get("ready", False),
            get("ended", False), get("paid", False), get("files"), get("steps"), get("faults"),
            get("unlinked"),
        )  # fmt: skip

    def copy(self) -> Held:
        """A copy the translator may change without touching this one."""
        return Held(
            self.code, self.status, self.digest, self.latest, self.submitted, self.received,
            self.due_at, self.unit_code, self.paused, self.pauses,
            {k: list(v) for k, v in self.supplements.items()}, self.ready, self.ended, self.paid,
            list(self.files), dict(self.steps), list(self.faults), list(self.unlinked),
        )  # fmt: skip

    def stage(self) -> int:
        """The stage the held status stands for."""
        return STAGE.get(self.status, 0)


@dataclass(frozen=True, slots=True)
class Contact:
    """Personal data split off to the contacts topic, tied to the event that carried it."""

    event: CloudEvent
    person: Person


class Translation:
    """What one object derived: events, contacts, the next held state, and what was recorded."""

    def __init__(self, held: Held) -> None:
        self.held = held
        self.events: list[CloudEvent] = []
        self.contacts: list[Contact] = []
        self.recorded: list[str] = []


def digest(snapshot: Snapshot) -> str:
    """A fingerprint of the snapshot's non-personal fields (identical snapshots derive nothing)."""
    return hashlib.blake2b(orjson.dumps(_public(snapshot)), digest_size=12).hexdigest()


#: The snapshot's fields but the applicant, as a tuple (serialised as the array it always was).
_public: Final = operator.attrgetter(
    *[f.name for f in dataclasses.fields(Snapshot) if f.name != "applicant"]
)


def _iso(moment: dt.datetime) -> str:
    """``moment.isoformat()``, faster: orjson writes the same ISO 8601 text for an aware time
    whose offset is whole minutes, which every parsed date is (test_dvcqg_translate.py)."""
    return orjson.dumps(moment)[1:-1].decode()


def _latest(s: Snapshot) -> str:
    """The latest date the snapshot carries (``NgayHenTra`` aside), ISO 8601; "" if none."""
    dates = [s.submitted_at, s.received_at, s.finished_at, s.returned_at, s.refused_at]
    for sup in s.supplements:
        dates += (sup.requested_at, sup.received_at)
    latest = max([d for d in dates if d is not None], default=None)
    return "" if latest is None else _iso(latest)


def receiving_unit(code: str) -> str:
    """The receiving unit's code: the prefix of ``MaHoSo`` (``000.00.12.H50-250801-0001``)."""
    return code.split("-", 1)[0]


def pseudonym(key: bytes, name: str, department: str | None) -> str:
    """A keyed pseudonym of an official (``NguoiXuLy`` and ``PhongBanXuLy``)."""
    mac = hmac.new(key, f"{name}\x1f{department or ''}".encode(), hashlib.sha256)
    return "dvcqg-" + mac.hexdigest()[:20]


class _Builder:
    """Builds one object's events with deterministic ids and the shared flags."""

    def __init__(self, code: str, ctx: Context, out: Translation) -> None:
        self.code = code
        self.ctx = ctx
        self.out = out

    def emit(
        self,
        kind: str,
        what: str,
        at: dt.datetime | None,
        data: Mapping[str, Any],
        flags: tuple[str, ...] = (),
        form: str = "topic",
    ) -> CloudEvent:
        extra = list(flags)
        if at is None:
            at = self.ctx.arrival
            extra.append("time_from_arrival")
        attributes: dict[str, Any] = {
            "specversion": "1.0",
            "id": f"dvcqg.{self.code}.{what}"[:200],
            "source": self.ctx.source,
            "type": kind,
            "time": at,
            "subject": self.code,
            "data": dict(data),
        }
        if extra:
            attributes[DVCQG_FLAGS_ATTRIBUTE] = " ".join(sorted(set(extra)))
        event = event_model(kind, form).model_validate(attributes)  # type: ignore[arg-type]
        self.out.events.append(event)
        h = self.out.held
        if not h.digest:  # no snapshot has shown this code yet: kept for `adopt`
            flagged = attributes.get(DVCQG_FLAGS_ATTRIBUTE, "")
            h.unlinked.append([what, kind, _iso(at), dict(data), flagged])
        return event

    def _latest(self) -> dt.datetime | None:
        """When a sender fault is dated: the latest date the dossier's objects carried."""
        h = self.out.held
        known = [t for t in (_last_step(h),) if t is not None]
        if h.latest:
            known.append(dt.datetime.fromisoformat(h.latest))
        return max(known) if known else None

    def fault(
        self, error_code: str, message: str, what: str, at: dt.datetime | None = None
    ) -> None:
        """A sender fault: evidence on the dossier (``system.error``), recorded, not state."""
        data = {"component": SENDER, "error_code": error_code, "message": message}
        self.emit("system.error", what, at or self._latest() or self.ctx.arrival, data)
        self.out.recorded.append(error_code)
        self.out.held.faults.append(what)


def translate_snapshot(held: Held | None, s: Snapshot, code: str, ctx: Context) -> Translation:
    """The events a ``DongBoHoSoMC`` snapshot derives against the held state of its dossier."""
    h = _fresh(held, code)
    out = Translation(held=h)
    fp = digest(s)
    if held is not None and fp == held.digest:
        return out  # identical: nothing
    latest = _latest(s)
    b = _Builder(code, ctx, out)
    if held is not None and (
        (latest and held.latest and latest < held.latest) or _regresses(held, s)
    ):
        out.recorded.append("status_regressed" if _regresses(held, s) else "stale_snapshot")
        return out
    h.digest, h.latest = fp, max(latest, h.latest)
    if h.unlinked:  # a snapshot shows the code now: what it derived is this dossier's
        h.unlinked = []
    replaced = s.code if s.code != code else s.other_code
    if s.other_code and s.other_code != s.code and f"replaced.{replaced}" not in h.faults:
        b.fault(
            "dossier_code_replaced",
            "the sender replaced the dossier code; both codes name this dossier",
            f"replaced.{replaced}",
        )
    flags = _value_flags(s, ctx)
    unit = ctx.unit_by_name(s.unit_name) if s.unit_name else None
    unit_code = unit or h.unit_code or receiving_unit(code)
    if s.unit_name and unit is None:
        flags += ("unknown_unit",)
    channel = _CHANNELS.get(s.channel or "", "in_person")
    if not h.received and not h.ended:
        _first_seen(b, h, s, unit_code, channel, flags)
    elif h.received and unit_code != h.unit_code:
        data: dict[str, Any] = {"from_unit_code": h.unit_code, "to_unit_code": unit_code}
        step_due = h.steps.get("due")
        if step_due:
            data["step_due_at"] = dt.datetime.fromisoformat(step_due)
        b.emit("dossier.transferred", f"transferred.{unit_code}", _step_time(h, 4), data, flags)
        h.unit_code = unit_code
    if h.received:
        _supplements(b, h, s)
        _pause(b, h, s)
        _reschedule(b, h, s)
        _results(b, h, s)
        _payment(b, h, s)
    _ending(b, h, s, channel)
    return out


def _value_flags(s: Snapshot, ctx: Context) -> tuple[str, ...]:
    flags: tuple[str, ...] = ()
    if (s.channel or "") not in _CHANNELS:
        flags += ("unknown_channel",)
    if s.paid_online is not None and s.paid_online != "0" and s.paid_online not in _PAYMENTS:
        flags += ("unknown_payment",)
    return flags


def _regresses(held: Held, s: Snapshot) -> bool:
    """Whether the snapshot moves the dossier to an earlier stage than the one held."""
    return STAGE[s.status] < held.stage() and not (held.ended and s.status == held.status)


def _step_time(h: Held, status: int) -> dt.datetime | None:
    """The time of the latest step with ``status`` (``ThoiDiemXuLy``), if one came."""
    at = h.steps.get(str(status))
    return dt.datetime.fromisoformat(at) if at else None


def _last_step(h: Held) -> dt.datetime | None:
    """The time of the latest step of any status."""
    times = [dt.datetime.fromisoformat(v) for k, v in h.steps.items() if k != "due"]
    return max(times) if times else None


def _first_seen(
    b: _Builder, h: Held, s: Snapshot, unit_code: str, channel: str, flags: tuple[str, ...]
) -> None:
    procedure = s.procedure_code or "unknown"
    if s.status == 1:
        if not h.submitted:
            submitted = {"procedure_code": procedure, "channel": channel}
            b.emit("dossier.submitted", "submitted", s.submitted_at, submitted, flags)
            h.submitted = True
        h.status = 1
        return
    if s.received_at is None:
        return  # not received (refused at reception, withdrawn before): `_ending` says so
    limit = b.ctx.procedure_limit(procedure)
    limit_flags = flags
    if limit is None:
        limit = _inferred(s.received_at, s.due_at)
        limit_flags += ("time_limit_inferred",)
    data: dict[str, Any] = {
        "unit_code": unit_code,
        "receiving_unit_code": receiving_unit(b.code),
        "procedure": {"code": procedure, "name": (s.procedure_name or procedure)[:200]},
        "time_limit": {"value": limit.value, "unit": limit.unit},
        "channel": channel,
        "fee_required": s.fee > 0,
    }
    if s.due_at is not None:
        data["due_at"] = s.due_at
    form, person = "topic", s.applicant
    if person is not None:
        applicant: dict[str, Any] = {"kind": person.kind, "name": person.name[:200]}
        if person.email and "@" in person.email and " " not in person.email:
            applicant["email"] = person.email[:254]
        if person.phone and all(c in "+0123456789 ().-" for c in person.phone):
            applicant["phone"] = person.phone[:32]
        data["applicant"] = applicant
        form = "pushed"
    b.emit("dossier.received", "received", s.received_at, data, limit_flags, form)
    h.received, h.status, h.unit_code = True, 2, unit_code
    h.due_at = _iso(s.due_at) if s.due_at else None


def _inferred(received_at: dt.datetime | None, due_at: dt.datetime | None) -> Limit:
    """A limit for an unknown procedure: the working days from reception to ``NgayHenTra``.

    Five of every seven calendar days; sla judges by the sent ``NgayHenTra`` anyway (``due_at``),
    the limit only fills the contract's field. Without ``NgayHenTra``: one working day.
    """
    if received_at is None or due_at is None or due_at <= received_at:
        return Limit(1)
    days = (due_at - received_at).total_seconds() / 86_400
    return Limit(max(1, min(10_000, math.ceil(days * 5 / 7))))


def _supplements(b: _Builder, h: Held, s: Snapshot) -> None:
    for sup in s.supplements:
        state = h.supplements.get(sup.key)
        if state is None:
            reason = (sup.reason or "Yêu cầu bổ sung hồ sơ")[:2000]
            at = sup.requested_at or _step_time(h, 5)
            b.emit("dossier.supplement_requested", f"supplement.{sup.key}", at, {"reason": reason})
            state = h.supplements[sup.key] = [True, False]
        if sup.received_at is not None and not state[1]:
            what = f"supplement.{sup.key}.received"
            b.emit("dossier.supplement_received", what, sup.received_at, {})
            state[1] = True
            new_due = s.due_at or sup.new_due_at
            if new_due is not None:  # the new NgayHenTra of a supplement is not a reschedule
                h.due_at = _iso(new_due)
    if s.status == 5 and not _open_supplement(h):
        key = f"status5-{len(h.supplements)}"
        b.emit(
            "dossier.supplement_requested",
            f"supplement.{key}",
            _step_time(h, 5),
            {"reason": "Yêu cầu bổ sung giấy tờ"},
        )
        h.supplements[key] = [True, False]
    elif s.status in (2, 4, 6, 10) or s.finished_at is not None:
        for key, state in h.supplements.items():
            if key.startswith("status5-") and not state[1]:
                what = f"supplement.{key}.received"
                b.emit("dossier.supplement_received", what, _step_time(h, 4), {})
                state[1] = True
                if s.due_at is not None:
                    h.due_at = _iso(s.due_at)


def _open_supplement(h: Held) -> bool:
    return any(not state[1] for state in h.supplements.values())


def _pause(b: _Builder, h: Held, s: Snapshot) -> None:
    if s.status == 6 and not h.paused:
        data = {"kind": "financial_obligation", "reason": "Yêu cầu thực hiện nghĩa vụ tài chính"}
        b.emit("dossier.paused", f"paused.{h.pauses}", _step_time(h, 6), data)
        h.paused, h.pauses = True, h.pauses + 1
    elif h.paused and s.status != 6:
        b.emit("dossier.resumed", f"resumed.{h.pauses - 1}", _step_time(h, 4), {})
        h.paused = False


def _reschedule(b: _Builder, h: Held, s: Snapshot) -> None:
    if s.due_at is None or _open_supplement(h):
        return
    new = _iso(s.due_at)
    if h.due_at is not None and new != h.due_at:
        data = {"new_due_at": s.due_at, "reason": "NgayHenTra đổi (ngoài bổ sung hồ sơ)"}
        what = f"rescheduled.{s.due_at:%Y%m%d%H%M%S}"
        b.emit("dossier.rescheduled", what, _last_step(h), data)
    h.due_at = new


def _results(b: _Builder, h: Held, s: Snapshot) -> None:
    for url in s.result_files:
        if url in h.files or not url.startswith(("http://", "https://")) or " " in url:
            continue
        what = "digitized." + hashlib.sha256(url.encode()).hexdigest()[:12]
        at = s.finished_at or _step_time(h, 9)
        data = {"file_url": url[:2048], "stored_in_data_warehouse": False}
        b.emit("dossier.result_digitized", what, at, data)
        h.files.append(url)


def _payment(b: _Builder, h: Held, s: Snapshot) -> None:
    method = _PAYMENTS.get(s.paid_online or "")
    if method is not None and not h.paid:
        data = {"amount": s.fee, "method": method}
        b.emit("payment.completed", "payment", _last_step(h), data)
        h.paid = True


def _ending(b: _Builder, h: Held, s: Snapshot, channel: str) -> None:
    if h.ended:
        return
    if s.status == 9 or (s.status == 10 and not h.ready):
        if s.status == 9 and (s.finished_at is None or _open_supplement(h)):
            why = "while a supplement is open" if _open_supplement(h) else "without NgayKetThucXuLy"
            b.fault(
                "status_rewritten",
                f"status 9 sent {why}: recorded as a rewritten status, not an end",
                f"rewritten.{h.digest[:12]}",
            )
            return
        if s.finished_at is not None or s.status == 9:
            b.emit("dossier.result_ready", "result_ready", s.finished_at, {})
            h.ready, h.status = True, 9
    if s.status == 10:
        b.emit("dossier.returned", "returned", s.returned_at, {"channel": channel})
        h.ended, h.status = True, 10
    elif s.status in (3, 7, 8):
        kind, what = {
            3: ("dossier.refused", "refused"),
            7: ("dossier.withdrawn", "withdrawn"),
            8: ("dossier.stopped", "stopped"),
        }[s.status]
        at = s.refused_at if s.status == 3 else _step_time(h, s.status)
        data = {
            "reason": {3: "Không được tiếp nhận", 7: "Công dân yêu cầu rút hồ sơ", 8: "Dừng xử lý"}[
                s.status
            ]
        }
        b.emit(kind, what, at, data)
        h.ended, h.status = True, s.status
    elif not h.ready and s.status in (2, 4, 5, 6):
        h.status = s.status


def translate_step(held: Held | None, step: Step, code: str, ctx: Context) -> Translation:
    """The events a ``CapNhatTienDoHoSoMC`` step derives: an assignment, or a sender fault."""
    h = _fresh(held, code)
    out = Translation(held=h)
    b = _Builder(code, ctx, out)
    h.steps[str(step.status)] = _iso(step.at)
    if step.step_due_at is not None:
        h.steps["due"] = _iso(step.step_due_at)
    if step.status == 9 and _SYNTHETIC_FINISH in (step.content or "").lower():
        what = f"synthetic_finish.{step.at:%Y%m%d%H%M%S}"
        if what not in h.faults:
            message = "a synthetic finish step (no NgayHenTra): not an end"
            b.fault("synthetic_finish", message, what, step.at)
        return out
    if step.status == 4 and step.official is not None and ctx.pseudonym_key is None:
        out.recorded.append("assignment_without_pseudonym_key")
    elif step.status == 4 and step.official is not None and ctx.pseudonym_key is not None:
        pid = pseudonym(ctx.pseudonym_key, step.official.name, step.department)
        what = f"assigned.{step.at:%Y%m%d%H%M%S}.{pid[-8:]}"
        data: dict[str, Any] = {"assignee": {"id": pid, "name": (step.department or pid)[:200]}}
        if h.unit_code:
            data["unit_code"] = h.unit_code
        event = b.emit("dossier.assigned", what, step.at, data)
        out.contacts.append(Contact(event, step.official))
    return out


def translate_reply(held: Held | None, r: Reply, code: str, ctx: Context) -> Translation:
    """The portal's answer to one push: ``portal.sync_succeeded`` or ``portal.sync_failed``.

    An insert that met an existing dossier derives nothing (the sender updates next). An answer
    for a code no snapshot has shown yet is also kept in the held state (`Held.unlinked`).
    """
    out = Translation(held=held if held is not None and held.digest else _fresh(held, code))
    if r.already_exists and not r.succeeded:
        return out
    ok = r.succeeded
    data: dict[str, Any] = {"status_code": r.status}
    if not ok:
        data["error_code"] = "".join(r.error_code.split()) or "unknown"
        data["error_message"] = (r.message or "(no message)")[:2000]
    what = f"reply.{r.service[:40]}.{r.status}.{r.at:%Y%m%d%H%M%S}.{'ok' if ok else 'failed'}"
    kind = "portal.sync_succeeded" if ok else "portal.sync_failed"
    _Builder(code, ctx, out).emit(kind, what, r.at, data)
    return out


def adopt(held: Held, other: Held, code: str, ctx: Context) -> Translation:
    """A code learnt late: ``other`` named a dossier before any snapshot showed it, and a snapshot
    now links it to ``held``'s dossier (``MaHoSoKhac``). What objects naming ``other`` derived is
    derived again on the dossier (its code, fresh ids; the personal fields were never kept, so an
    assignment comes without its contact), and its steps' dates join the dossier's."""
    h = held.copy()
    out = Translation(held=h)
    b = _Builder(code, ctx, out)
    for what, kind, at, data, flagged in other.unlinked:
        b.emit(kind, what, dt.datetime.fromisoformat(at), data, tuple(flagged.split()))
    for status, at in other.steps.items():
        if at > h.steps.get(status, ""):
            h.steps[status] = at
    h.faults += [f for f in other.faults if f not in h.faults]
    return out


def _fresh(held: Held | None, code: str) -> Held:
    """A copy of the held state to change, or a new one for a code never held."""
    return held.copy() if held is not None else Held(code=code)

"""Requests in the national portal's sync format (docs/dvcqg.md, docs/contract.md §1b), parsed.

Both request styles (the adapter envelope ``{"session", "madonvi", "service", "isUpdating",
"data": [...]}`` and a bare array) become a list of objects; each object becomes a `Snapshot`
(``DongBoHoSoMC``), a `Step` (``CapNhatTienDoHoSoMC``) or a `Reply` (the portal's answers). A
field is refused only when it makes the object unusable (docs/domain.md §10): no ``MaHoSo``, a
date that does not parse or lies outside the accepted window, a status outside 1–10, a string
beyond 2,000 characters. Every such field is named as it was sent (``data[0].NgayHenTra`` in the
envelope style, ``[0].NgayHenTra`` in the bare one). Values the mapping does not know are kept as
sent and flagged by the translator, never refused.

Personal data (``ChuHoSo``, ``Email``, ``SoDienThoai``, a step's ``NguoiXuLy``) is kept apart in
`Person`, which is published to the contacts topic and never stored; ID numbers
(``SoGiayToChuHoSo``, ``DinhDanhCHS``, ``MaDoiTuong``) are not read at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Generic, TypeVar
from zoneinfo import ZoneInfo

from dunghan_common.events import EventError
from dunghan_common.events.window import (
    DEFAULT_FUTURE_MARGIN,
    EARLIEST_EVENT_TIME,
    window_problem,
)

LOCAL: Final = ZoneInfo("Asia/Ho_Chi_Minh")
SERVICES: Final = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")
MAX_TEXT: Final = 2_000
_DATE = re.compile(r"\d{14}", re.ASCII)
_CODE = re.compile(r"\S{1,100}")
#: How far ahead an appointment (``NgayHenTra``, a step's deadline) may lie.
_FAR: Final = dt.timedelta(days=3660)


@dataclass(slots=True)
class Person:
    """Personal data of an applicant or an official: published as a contact, never stored."""

    kind: str
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class Supplement:
    """One entry of ``DanhSachHoSoBoSung``."""

    key: str
    requested_at: dt.datetime | None
    received_at: dt.datetime | None
    reason: str | None
    new_due_at: dt.datetime | None


@dataclass(slots=True)
class Snapshot:
    """A ``DongBoHoSoMC`` object: the whole dossier as the sender sees it, without personal data.

    ``status`` is the sent ``TrangThaiHoSo`` (1–10); ``channel`` and ``paid_online`` are the raw
    codes (checked by the translator, which flags what it does not know).
    """

    code: str
    other_code: str | None
    procedure_code: str | None
    procedure_name: str | None
    status: int
    unit_name: str | None
    channel: str | None
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    refused_at: dt.datetime | None
    paid_online: str | None
    fee: int
    supplements: tuple[Supplement, ...] = ()
    result_files: tuple[str, ...] = ()
    applicant: Person | None = None


@dataclass(slots=True)
class Step:
    """A ``CapNhatTienDoHoSoMC`` object: one process step; ``official`` is personal data."""

    code: str
    status: int
    at: dt.datetime
    department: str | None
    content: str | None
    step_due_at: dt.datetime | None
    official: Person | None


@dataclass(slots=True)
class Reply:
    """The portal's answer to one push, as the sender received it (``POST /v1/dvcqg/replies``)."""

    code: str
    service: str
    status: int
    error_code: str
    message: str
    at: dt.datetime

    @property
    def succeeded(self) -> bool:
        """The portal's own success test: ``error_code`` 0 (``0``, ``00``)."""
        return self.error_code.strip().lstrip("0") == "" and self.error_code.strip() != ""

    @property
    def already_exists(self) -> bool:
        """An insert that met an existing dossier: the sender updates next, not a fault."""
        return self.error_code.strip() in ("3", "-3")


T = TypeVar("T")


class Parsed(Generic[T]):
    """The objects of a request that parsed, and every field refused (named as sent)."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self.errors: list[EventError] = []


class RequestShapeError(ValueError):
    """A body that is neither style of the portal's requests (answered 400)."""


def unwrap(value: object) -> tuple[list[object], str]:
    """The objects of a request in either style, and the prefix naming them (``data`` or ``""``)."""
    if isinstance(value, list):
        return value, ""
    if isinstance(value, dict):
        data = value.get("data")
        if isinstance(data, list):
            return data, "data"
        raise RequestShapeError("the envelope carries no 'data' array of objects")
    raise RequestShapeError("the body is an adapter envelope (object with 'data') or an array")


_EARLIEST: Final = EARLIEST_EVENT_TIME.timestamp()


@lru_cache(maxsize=65_536)
def _local_date(text: str) -> tuple[dt.datetime, float] | str:
    """``yyyyMMddHHmmss`` (14 digits) in Asia/Ho_Chi_Minh with its POSIX time, or what is wrong.

    Cached: a dossier's snapshots repeat the same dates. The POSIX time lets the window be
    checked on floats: comparing times of two zones costs more than the rest of a date.
    """
    if _DATE.fullmatch(text) is None:
        return "must be a date yyyyMMddHHmmss (Asia/Ho_Chi_Minh)"
    try:
        moment = dt.datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]),
            int(text[8:10]), int(text[10:12]), int(text[12:14]), tzinfo=LOCAL,
        )  # fmt: skip
    except ValueError:
        return "is not a valid date yyyyMMddHHmmss"
    return moment, moment.timestamp()


class _Reader:
    """Reads a request's objects' fields as strings or numbers, collecting an error per bad field.

    One reader serves every object of a request (`start` moves it to the next), so the window's
    bounds are computed once per request.
    """

    def __init__(self, prefix: str, now: dt.datetime) -> None:
        self._item: Mapping[str, object] = {}
        self._prefix = prefix
        self.now = now
        self._soon = (now + DEFAULT_FUTURE_MARGIN).timestamp()
        self._far = (now + _FAR).timestamp()
        self.errors: list[EventError] = []
        self.index = 0

    def start(self, item: Mapping[str, object], index: int) -> None:
        """Read ``item``, the ``index``-th object of the request, from now on."""
        self._item, self.index, self.errors = item, index, []

    def fail(self, name: str, message: str) -> None:
        where = _where(self._prefix, self.index)
        self.errors.append(EventError(index=self.index, field=f"{where}.{name}", message=message))

    def text(
        self, name: str, item: Mapping[str, object] | None = None, prefix: str = ""
    ) -> str | None:
        raw = (self._item if item is None else item).get(name)
        if raw.__class__ is str:  # the usual case first
            text = raw.strip()
            if len(text) <= MAX_TEXT:
                return text or None
            self.fail(prefix + name, f"longer than {MAX_TEXT} characters")
            return None
        if raw is None or isinstance(raw, bool):
            return None if raw is None else str(raw)
        if isinstance(raw, int | float):
            text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        elif isinstance(raw, str):
            text = raw.strip()
        else:
            self.fail(prefix + name, "must be a string or a number")
            return None
        if len(text) > MAX_TEXT:
            self.fail(prefix + name, f"longer than {MAX_TEXT} characters")
            return None
        return text or None

    def code(self, name: str, required: bool = False) -> str | None:
        text = self.text(name)
        if text is None:
            if required:
                self.fail(name, "is required: the dossier code")
            return None
        if _CODE.fullmatch(text) is None:
            self.fail(name, "must be a code of at most 100 characters without spaces")
            return None
        return text

    def date(
        self,
        name: str,
        item: Mapping[str, object] | None = None,
        prefix: str = "",
        appointment: bool = False,
    ) -> dt.datetime | None:
        """A ``yyyyMMddHHmmss`` date; ``appointment``: a date to come (only 2018 on is checked)."""
        text = self.text(name, item, prefix)
        if text is None:
            return None
        got = _local_date(text)
        if isinstance(got, str):
            self.fail(prefix + name, got)
            return None
        moment, stamp = got
        if _EARLIEST <= stamp <= (self._far if appointment else self._soon):
            return moment
        problem = window_problem(moment, self.now, _FAR if appointment else DEFAULT_FUTURE_MARGIN)
        if problem is not None:
            self.fail(prefix + name, problem.replace("event time", "date"))
            return None
        return moment

    def status(self, name: str) -> int:
        text = self.text(name)
        if text is None or not text.isdigit() or not 1 <= int(text) <= 10:
            self.fail(name, "must be a status code from 1 to 10")
            return 0
        return int(text)

    def objects(self, name: str) -> list[Mapping[str, object]]:
        raw = self._item.get(name)
        if raw is None or raw == "":
            return []
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            self.fail(name, "must be an array of objects")
            return []
        return raw


def _where(prefix: str, index: int) -> str:
    return f"{prefix}[{index}]"


def _object(
    item: object, prefix: str, index: int, errors: list[EventError]
) -> Mapping[str, object] | None:
    if isinstance(item, dict):
        return item
    errors.append(EventError(index=index, field=_where(prefix, index), message="must be an object"))
    return None


def _parse(
    raw: Sequence[object], prefix: str, now: dt.datetime, read: Callable[[_Reader], T]
) -> Parsed[T]:
    """Each object read by ``read``; an object with a refused field is left out, its errors kept."""
    out: Parsed[T] = Parsed()
    r = _Reader(prefix, now)
    for index, item in enumerate(raw):
        obj = _object(item, prefix, index, out.errors)
        if obj is None:
            continue
        r.start(obj, index)
        parsed = read(r)
        out.errors += r.errors
        if not r.errors:
            out.items.append(parsed)
    return out


def parse_snapshots(raw: Sequence[object], prefix: str, now: dt.datetime) -> Parsed[Snapshot]:
    """The ``DongBoHoSoMC`` objects of a request, or every refused field."""
    return _parse(raw, prefix, now, _snapshot)


def _snapshot(r: _Reader) -> Snapshot:
    code = r.code("MaHoSo", required=True) or ""
    supplements = []
    for n, entry in enumerate(r.objects("DanhSachHoSoBoSung")):
        p = f"DanhSachHoSoBoSung[{n}]."
        supplements.append(
            Supplement(
                key=r.text("HoSoBoSungId", entry, p) or str(n),
                requested_at=r.date("NgayBoSung", entry, p),
                received_at=r.date("NgayTiepNhanBoSung", entry, p),
                reason=r.text("NoiDungBoSung", entry, p),
                new_due_at=r.date("NgayHenTraMoi", entry, p, appointment=True),
            )
        )
    files = []
    for n, entry in enumerate(r.objects("DanhSachGiayToKetQua")):
        url = r.text("DuongDanTepTinKetQua", entry, f"DanhSachGiayToKetQua[{n}].")
        if url:
            files.append(url)
    fee = 0
    for n, entry in enumerate(r.objects("DanhSachLePhi")):
        price = r.text("Gia", entry, f"DanhSachLePhi[{n}].")
        if price and price.replace(".", "").isdigit():
            fee += int(float(price))
    return Snapshot(
        code=code,
        other_code=r.code("MaHoSoKhac"),
        procedure_code=r.code("MaTTHC"),
        procedure_name=r.text("TenTTHC"),
        status=r.status("TrangThaiHoSo"),
        unit_name=r.text("DonViXuLy"),
        channel=r.text("KenhThucHien"),
        submitted_at=r.date("NgayNopHoSo"),
        received_at=r.date("NgayTiepNhan"),
        due_at=r.date("NgayHenTra", appointment=True),
        finished_at=r.date("NgayKetThucXuLy"),
        returned_at=r.date("NgayTra"),
        refused_at=r.date("NgayTuChoi"),
        paid_online=r.text("DuocThanhToanTrucTuyen"),
        fee=fee,
        supplements=tuple(supplements),
        result_files=tuple(files),
        applicant=_applicant(r),
    )


def _applicant(r: _Reader) -> Person | None:
    name = r.text("ChuHoSo")
    if name is None:
        return None
    kind = "citizen" if (r.text("LoaiDoiTuong") or "1") == "1" else "organisation"
    return Person(kind, name, r.text("Email"), r.text("SoDienThoai"))


def parse_steps(raw: Sequence[object], prefix: str, now: dt.datetime) -> Parsed[Step]:
    """The ``CapNhatTienDoHoSoMC`` objects of a request, or every refused field."""
    return _parse(raw, prefix, now, _step)


def _step(r: _Reader) -> Step:
    code = r.code("MaHoSo", required=True)
    status = r.status("TrangThai")
    at = r.date("ThoiDiemXuLy")
    if at is None and not any(e.field.endswith(".ThoiDiemXuLy") for e in r.errors):
        r.fail("ThoiDiemXuLy", "is required: when the step happened")
    name = r.text("NguoiXuLy")
    return Step(
        code=code or "",
        status=status,
        at=at or r.now,
        department=r.text("PhongBanXuLy"),
        content=r.text("NoiDungXuLy"),
        step_due_at=r.date("NgayKetThucTheoQuyDinh", appointment=True),
        official=Person("official", name) if name else None,
    )


def parse_replies(raw: Sequence[object], prefix: str, now: dt.datetime) -> Parsed[Reply]:
    """The objects of ``POST /v1/dvcqg/replies``, or every refused field."""
    return _parse(raw, prefix, now, _reply)


def _reply(r: _Reader) -> Reply:
    code = r.code("MaHoSo", required=True)
    service = r.text("service") or "DongBoHoSoMC"
    status = r.status("TrangThaiHoSo")
    error_code = r.text("error_code")
    if error_code is None:
        r.fail("error_code", "is required: the portal's error_code as received")
    at = r.date("ThoiDiem")
    if at is None and not any(e.field.endswith(".ThoiDiem") for e in r.errors):
        r.fail("ThoiDiem", "is required: when the portal answered")
    message = r.text("message") or ""
    # Placeholders only where a field was refused: the object is then left out with its errors.
    return Reply(code or "", service, status, (error_code or "")[:100], message, at or r.now)

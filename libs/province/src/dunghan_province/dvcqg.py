"""The sample month in the national portal's sync format (docs/dvcqg.md): what a provincial sync
job would have pushed for the same dossiers, with the senders' known faults and the portal's
answers.

Each dossier's CloudEvents, in time order, become the requests its sync job sends: a whole-dossier
``DongBoHoSoMC`` snapshot after every change of state, a ``CapNhatTienDoHoSoMC`` step for every
assignment (and a dated step before every change the snapshot carries no date for: a pause, a
resumption, a withdrawal, a payment, a new appointment), and each ``portal.sync_*`` as the
portal's answer forwarded to ``/v1/dvcqg/replies``. Events that name no dossier, and
``system.error`` (the provincial system's own faults), have no place in the portal's format and
stay CloudEvents.

Sender faults, chosen from the dossier code (stable for a seed): one dossier in three that asks
for a supplement has it also pushed as status 9 (the 5→9 rewrite); a dossier with no appointment
gets the synthetic "finished" step; one in fifty changes its code after reception
(``MaHoSoKhac``).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import httpx
import orjson

from dunghan_province.replay import (
    ReplayResult,
    ReplayTarget,
    post_until_taken,
    replay,
)

LOCAL: Final = ZoneInfo("Asia/Ho_Chi_Minh")
Service = Literal["DongBoHoSoMC", "CapNhatTienDoHoSoMC", "replies", "events"]
_CHANNEL: Final = {"in_person": "1", "online": "2", "postal": "3"}
_PAYMENT: Final = {"online_national_portal": "1", "online_provincial_gateway": "2"}
_STATUS: Final = {
    "dossier.submitted": "1",
    "dossier.received": "2",
    "dossier.refused": "3",
    "dossier.assigned": "4",
    "dossier.transferred": "4",
    "dossier.supplement_received": "4",
    "dossier.resumed": "4",
    "dossier.supplement_requested": "5",
    "dossier.paused": "6",
    "dossier.withdrawn": "7",
    "dossier.stopped": "8",
    "dossier.result_ready": "9",
    "dossier.returned": "10",
}
#: Changes whose snapshot carries no date: a step dated at the change goes first.
_UNDATED: Final = {
    "dossier.paused": "6",
    "dossier.resumed": "4",
    "dossier.withdrawn": "7",
    "dossier.stopped": "8",
    "dossier.rescheduled": "4",
    "dossier.transferred": "4",
    "payment.completed": "4",
}


def stamp(value: str | datetime) -> str:
    """A portal date: ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{moment.astimezone(LOCAL):%Y%m%d%H%M%S}"


def _share(code: str, salt: str) -> int:
    """A stable number 0–99 from a dossier code (which faults it carries)."""
    return int(hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()[:8], 16) % 100


@dataclass
class _Dossier:
    """One dossier's snapshot as its sync job holds it, and the requests sent so far."""

    code: str
    unit_names: dict[str, str]
    snapshot: dict[str, Any] = field(default_factory=dict)
    sent: list[tuple[Service, dict[str, Any]]] = field(default_factory=list)
    supplements: int = 0

    def push(self) -> None:
        self.sent.append(("DongBoHoSoMC", dict(self.snapshot)))

    def step(self, status: str, at: str, official: str | None = None, text: str = "") -> None:
        step = {
            "MaHoSo": self.snapshot.get("MaHoSo", self.code),
            "ThoiDiemXuLy": stamp(at),
            "TrangThai": status,
            "PhongBanXuLy": self.snapshot.get("DonViXuLy", ""),
            "NoiDungXuLy": text or "Xử lý hồ sơ",
        }
        if official:
            step["NguoiXuLy"] = official
        self.sent.append(("CapNhatTienDoHoSoMC", step))

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one event into the snapshot and send what the sync job would."""
        kind, data, at = event["type"], event.get("data") or {}, event["time"]
        s = self.snapshot
        s.setdefault("MaHoSo", self.code)
        if kind in _UNDATED:
            self.step(_UNDATED[kind], at)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, data, at)
        if kind in _STATUS and not (kind == "dossier.resumed" and s.get("TrangThaiHoSo") != "6"):
            s["TrangThaiHoSo"] = _STATUS[kind]
        self.push()
        self._faults(kind, at)

    def _submitted(self, data: dict[str, Any], at: str) -> None:
        self.snapshot.update(MaTTHC=data["procedure_code"], NgayNopHoSo=stamp(at))
        self.snapshot["KenhThucHien"] = _CHANNEL[data["channel"]]

    def _assigned(self, data: dict[str, Any], at: str) -> None:
        self.step("4", at, data["assignee"]["name"], "Phân công xử lý")

    def _transferred(self, data: dict[str, Any], at: str) -> None:
        code = data["to_unit_code"]
        self.snapshot["DonViXuLy"] = self.unit_names.get(code, code)

    def _supplement_requested(self, data: dict[str, Any], at: str) -> None:
        self.supplements += 1
        entry = {"HoSoBoSungId": str(self.supplements), "NgayBoSung": stamp(at)}
        entry["NoiDungBoSung"] = data["reason"]
        self.snapshot["DanhSachHoSoBoSung"] = [*self.snapshot.get("DanhSachHoSoBoSung", []), entry]

    def _supplement_received(self, data: dict[str, Any], at: str) -> None:
        entries = [dict(e) for e in self.snapshot.get("DanhSachHoSoBoSung", [])]
        if entries:
            entries[-1]["NgayTiepNhanBoSung"] = stamp(at)
        self.snapshot["DanhSachHoSoBoSung"] = entries

    def _digitized(self, data: dict[str, Any], at: str) -> None:
        files = self.snapshot.get("DanhSachGiayToKetQua", [])
        self.snapshot["DanhSachGiayToKetQua"] = [*files, {"DuongDanTepTinKetQua": data["file_url"]}]

    def _paid(self, data: dict[str, Any], at: str) -> None:
        self.snapshot["DuocThanhToanTrucTuyen"] = _PAYMENT.get(data["method"], "0")

    def _received(self, data: dict[str, Any], at: str) -> None:
        s = self.snapshot
        procedure = data["procedure"]
        applicant = data.get("applicant") or {}
        s.update(
            MaTTHC=procedure["code"],
            TenTTHC=procedure["name"],
            NgayTiepNhan=stamp(at),
            NgayHenTra=stamp(data["due_at"]) if data.get("due_at") else "",
            KenhThucHien=_CHANNEL[data["channel"]],
            DonViXuLy=self.unit_names.get(data["unit_code"], data["unit_code"]),
            ChuHoSo=applicant.get("name", ""),
            Email=applicant.get("email", ""),
            SoDienThoai=applicant.get("phone", ""),
            LoaiDoiTuong="1" if applicant.get("kind", "citizen") == "citizen" else "2",
            DanhSachLePhi=[{"TenPhiLePhi": "Lệ phí", "Gia": "50000"}]
            if data.get("fee_required")
            else [],
        )

    def _faults(self, kind: str, at: str) -> None:
        s = self.snapshot
        if kind == "dossier.supplement_requested" and _share(self.code, "rewrite") < 33:
            self.sent.append(("DongBoHoSoMC", {**s, "TrangThaiHoSo": "9"}))
        if kind == "dossier.received" and not s.get("NgayHenTra"):
            self.step("9", at, text="Hồ sơ không có ngày hẹn trả")
        if kind == "dossier.received" and _share(self.code, "replace") < 2:
            s["MaHoSo"], s["MaHoSoKhac"] = _replacement(self.code), self.code


def _replacement(code: str) -> str:
    """The code a sender generates in place of one it dislikes, as the integrator does:
    ``{unit}-{yyMMdd}-{5 random digits}`` (the digits drawn from the code: stable for a seed)."""
    unit, day = code.split("-")[:2]
    digits = int(hashlib.sha256(f"digits:{code}".encode()).hexdigest()[:8], 16) % 100_000
    return f"{unit}-{day}-{digits:05d}"


def _rescheduled(d: _Dossier, data: dict[str, Any], at: str) -> None:
    d.snapshot["NgayHenTra"] = stamp(data["new_due_at"])


def _dated(name: str) -> Any:
    def handler(d: _Dossier, data: dict[str, Any], at: str) -> None:
        d.snapshot[name] = stamp(at)

    return handler


_HANDLERS: Final[dict[str, Any]] = {
    "dossier.submitted": _Dossier._submitted,
    "dossier.received": _Dossier._received,
    "dossier.assigned": _Dossier._assigned,
    "dossier.transferred": _Dossier._transferred,
    "dossier.supplement_requested": _Dossier._supplement_requested,
    "dossier.supplement_received": _Dossier._supplement_received,
    "dossier.rescheduled": _rescheduled,
    "dossier.result_ready": _dated("NgayKetThucXuLy"),
    "dossier.returned": _dated("NgayTra"),
    "dossier.refused": _dated("NgayTuChoi"),
    "dossier.result_digitized": _Dossier._digitized,
    "payment.completed": _Dossier._paid,
}


@dataclass(frozen=True, slots=True)
class PortalMonth:
    """A month's requests per dossier in sending order, and the CloudEvents kept as such."""

    dossiers: list[list[tuple[Service, dict[str, Any]]]]
    events: list[bytes]


def convert(lines: Iterable[bytes], unit_names: dict[str, str]) -> PortalMonth:
    """The portal-format requests of a month of NDJSON CloudEvents (any order)."""
    per: dict[str, list[dict[str, Any]]] = {}
    kept: list[bytes] = []
    for line in lines:
        if not line.strip():
            continue
        event = orjson.loads(line)
        subject = event.get("subject")
        if subject is None or event["type"].startswith("system."):
            kept.append(line.strip())
            continue
        per.setdefault(subject, []).append(event)
    out = []
    for code, events in per.items():
        d = _Dossier(code, unit_names)
        for event in sorted(events, key=lambda e: datetime.fromisoformat(e["time"])):
            if event["type"].startswith("portal.sync_"):
                d.sent.append(("replies", _reply(d, event)))
            elif event["type"] != "portal.snapshot":
                d.apply(event)
        out.append(d.sent)
    return PortalMonth(out, kept)


def _reply(d: _Dossier, event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"]
    ok = event["type"] == "portal.sync_succeeded"
    return {
        "MaHoSo": d.snapshot.get("MaHoSo", d.code),
        "service": "DongBoHoSoMC",
        "TrangThaiHoSo": str(data["status_code"]),
        "error_code": "0" if ok else data["error_code"],
        "message": "Đồng bộ thành công" if ok else data["error_message"],
        "ThoiDiem": stamp(event["time"]),
    }


def rounds(
    dossiers: Sequence[list[tuple[Service, dict[str, Any]]]], group: int, size: int
) -> Iterator[list[tuple[Service, list[dict[str, Any]]]]]:
    """Requests in rounds: each round holds at most one run of same-service objects per dossier,
    so every dossier's requests keep their order when a round's requests go out concurrently."""
    for start in range(0, len(dossiers), group):
        runs = [_runs(d) for d in dossiers[start : start + group]]
        for index in range(max((len(r) for r in runs), default=0)):
            by_service: dict[Service, list[dict[str, Any]]] = {}
            for r in runs:
                if index < len(r):
                    service, objects = r[index]
                    by_service.setdefault(service, []).extend(objects)
            yield [
                (service, objects[i : i + size])
                for service, objects in by_service.items()
                for i in range(0, len(objects), size)
            ]


def _runs(sent: list[tuple[Service, dict[str, Any]]]) -> list[tuple[Service, list[dict[str, Any]]]]:
    runs: list[tuple[Service, list[dict[str, Any]]]] = []
    for service, obj in sent:
        if runs and runs[-1][0] == service:
            runs[-1][1].append(obj)
        else:
            runs.append((service, [obj]))
    return runs


async def replay_portal(
    path: Path, unit_names: dict[str, str], target: ReplayTarget, client: httpx.AsyncClient
) -> ReplayResult:
    """Replay an NDJSON month to ingest in the portal's format (what a province's sync job sends).

    The CloudEvents with no place in the format go first through ``POST /v1/events``; then the
    dossiers, ``group`` at a time, round by round: a round's requests (each service's objects, at
    most ``target.batch_size`` a request) go out together, a dossier's own in order.
    """
    raw = await asyncio.to_thread(path.read_bytes)
    month = convert(raw.splitlines(), unit_names)
    result = await replay(month.events, target, client)
    started = time.perf_counter()
    for requests in rounds(month.dossiers, group=500, size=target.batch_size):
        by_service: dict[Service, list[list[dict[str, Any]]]] = {}
        for service, objects in requests:
            by_service.setdefault(service, []).append(objects)
        await asyncio.gather(
            *(
                _send_all(service, chunks, target, client, result)
                for service, chunks in by_service.items()
            )
        )
    result.seconds += time.perf_counter() - started
    return result


async def _send_all(
    service: Service,
    chunks: list[list[dict[str, Any]]],
    target: ReplayTarget,
    client: httpx.AsyncClient,
    result: ReplayResult,
) -> None:
    """One service's requests of a round, in order (a dossier's run may span two)."""
    for objects in chunks:
        await _send_portal(service, objects, target, client, result)


async def _send_portal(
    service: Service,
    objects: list[dict[str, Any]],
    target: ReplayTarget,
    client: httpx.AsyncClient,
    result: ReplayResult,
) -> None:
    """POST one request until the portal-style answer says success; 429/503 are retried."""
    body = orjson.dumps(
        objects
        if service == "replies"
        else {
            "session": "",
            "madonvi": "",
            "service": service,
            "isUpdating": "True",
            "data": objects,
        }
    )
    headers = {"Authorization": f"Bearer {target.key}", "Content-Type": "application/json"}
    url = f"{target.url}/v1/dvcqg/{service}"
    await post_until_taken(client, url, body, headers, target, result, 200, counted="events")

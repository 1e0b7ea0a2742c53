"""The portal's own format end to end (docs/domain.md §10): snapshots pushed to ingest's
``/v1/dvcqg/*`` as a provincial sync job sends them, read back from sla and sync-audit.

Dates are fixed in October 2025 (in the past whenever the test runs); the expected due dates are
computed on the services' working calendar."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest

from tests.e2e.journeys import (
    INGEST_KEY,
    apologies,
    attribution,
    calendar,
    due,
    letter,
    same_instant,
    sla_view,
    vn,
)
from tests.e2e.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNIT = "000.00.12.H50"
PROCEDURE = "1.001612"  # 3 working days in config/ingest/procedures.toml


def stamp(t: dt.datetime) -> str:
    """A portal date: ``yyyyMMddHHmmss``, local time."""
    return f"{t:%Y%m%d%H%M%S}"


def dossier(code: str, received: dt.datetime, due_at: dt.datetime, **fields: Any) -> dict[str, Any]:
    """A ``DongBoHoSoMC`` object as a provincial system sends it (strings, personal data too)."""
    return {
        "MaHoSo": code,
        "MaTTHC": PROCEDURE,
        "TenTTHC": "Cấp giấy phép",
        "KenhThucHien": "2",
        "ChuHoSo": "Phạm Thị Dung",
        "SoGiayToChuHoSo": "045190004321",
        "Email": "dung.pham@example.vn",
        "SoDienThoai": "0987654321",
        "LoaiDoiTuong": "1",
        "NgayNopHoSo": stamp(received - dt.timedelta(hours=1)),
        "NgayTiepNhan": stamp(received),
        "NgayHenTra": stamp(due_at),
        "DonViXuLy": "Sở Xây dựng",
        **fields,
    }


async def post(system: System, path: str, objects: list[Any]) -> dict[str, Any]:
    """POST in the adapter envelope style; the portal-style answer (must be a success)."""
    body = {"session": "", "madonvi": UNIT, "service": path, "isUpdating": "True", "data": objects}
    if path == "replies":
        body = objects  # type: ignore[assignment]
    async with system.client("ingest", token=INGEST_KEY) as client:
        answer = await client.post(f"/v1/dvcqg/{path}", content=orjson.dumps(body))
    assert answer.status_code == 200, answer.text
    result = dict(answer.json())
    assert result["error_code"] == "0"
    assert "thành công" in result["message"]
    return result


def code_of(tag: str) -> str:
    """A dossier code no other run uses."""
    return f"{UNIT}-{tag}-{uuid.uuid4().hex[:8]}"


async def test_one_dossier_life_as_snapshots_gives_sla_its_due_dates_pause_and_timeliness(
    running_system: System,
) -> None:
    cal = calendar()
    code = code_of("dv-life")
    received = vn(2025, 10, 13, 9)
    asked, got = vn(2025, 10, 14, 14), vn(2025, 10, 16, 10)
    first_due = due(received, 3)
    stopped = cal.working_seconds_between(asked, got)
    new_due = cal.add_working_seconds(first_due, stopped)
    finish = new_due - dt.timedelta(minutes=30)
    handed = finish + dt.timedelta(minutes=10)
    supplement = {"HoSoBoSungId": "1", "NoiDungBoSung": "Thiếu bản vẽ", "NgayBoSung": stamp(asked)}
    life = [
        dossier(code, received, first_due, TrangThaiHoSo="2"),
        dossier(code, received, first_due, TrangThaiHoSo="5", DanhSachHoSoBoSung=[supplement]),
        dossier(
            code,
            received,
            new_due,
            TrangThaiHoSo="4",
            DanhSachHoSoBoSung=[{**supplement, "NgayTiepNhanBoSung": stamp(got)}],
        ),
    ]
    life.append({**life[-1], "TrangThaiHoSo": "9", "NgayKetThucXuLy": stamp(finish)})
    life.append({**life[-1], "TrangThaiHoSo": "10", "NgayTra": stamp(handed)})
    derived = []
    for snapshot in life:
        derived.append((await post(running_system, "DongBoHoSoMC", [snapshot]))["events"])
        assert (await post(running_system, "DongBoHoSoMC", [snapshot]))["events"] == 0
    assert derived == [1, 1, 1, 1, 1]
    # the supplement request arriving for the first time after the finish derives nothing
    late = {**life[1], "TrangThaiHoSo": "4"}
    assert (await post(running_system, "DongBoHoSoMC", [late]))["events"] == 0

    view = await sla_view(running_system, code, lambda v: v["status"] == "returned")
    assert same_instant(view["computed_due_at"], new_due), view
    assert same_instant(view["due_at"], new_due), view
    assert view["clock"]["paused_seconds"] == stopped, view
    assert view["timeliness"] == "on_time", view
    assert same_instant(view["finished_at"], finish), view


async def test_a_refused_reply_for_the_finishing_push_is_a_sync_error(
    running_system: System,
) -> None:
    code = code_of("dv-syncfail")
    received = vn(2025, 10, 20, 9)
    due_at = due(received, 3)
    finish = due_at - dt.timedelta(hours=2)
    received_snapshot = dossier(code, received, due_at, TrangThaiHoSo="2")
    finished = {**received_snapshot, "TrangThaiHoSo": "9", "NgayKetThucXuLy": stamp(finish)}
    await post(running_system, "DongBoHoSoMC", [received_snapshot, finished])
    reply = {
        "MaHoSo": code,
        "service": "DongBoHoSoMC",
        "TrangThaiHoSo": "9",
        "error_code": "-1",
        "message": "Lỗi: không cập nhật được hồ sơ",
        "ThoiDiem": stamp(finish + dt.timedelta(seconds=5)),
    }
    assert (await post(running_system, "replies", [reply]))["events"] == 1

    found = await attribution(running_system, code, "sync_error")
    assert found["local_timeliness"] == "on_time"
    assert found["portal_overdue"] is True
    assert any("sync" in e["kind"] for e in found["evidence"]), found["evidence"]


async def test_status_five_sent_as_nine_is_a_software_fault_and_does_not_end_the_dossier(
    running_system: System,
) -> None:
    code = code_of("dv-rewrite")
    received = vn(2025, 10, 21, 9)
    due_at = due(received, 3)
    supplement = {
        "HoSoBoSungId": "1",
        "NoiDungBoSung": "Thiếu giấy tờ",
        "NgayBoSung": stamp(received + dt.timedelta(hours=3)),
    }
    asked = dossier(code, received, due_at, TrangThaiHoSo="5", DanhSachHoSoBoSung=[supplement])
    rewritten = {**asked, "TrangThaiHoSo": "9"}  # the sender's rewrite: no NgayKetThucXuLy
    result = await post(running_system, "DongBoHoSoMC", [asked, rewritten])
    assert result["events"] == 3  # received, supplement requested, the fault

    view = await sla_view(running_system, code, lambda v: v["clock"]["state"] == "paused")
    assert view["finished_at"] is None, view
    assert view["status"] != "result_ready", view


async def test_a_limit_the_catalogue_does_not_know_shows_as_a_flag_of_the_dossier_in_sla(
    running_system: System,
) -> None:
    """The guesses of the translation (``dvcqgflags``) are where the due date is: sla's view."""
    code = code_of("dv-inferred")
    received = vn(2025, 10, 22, 9)
    snapshot = dossier(code, received, due(received, 3), TrangThaiHoSo="2", MaTTHC="9.999999")
    snapshot["DonViXuLy"] = "Một đơn vị không có trong danh mục"
    assert (await post(running_system, "DongBoHoSoMC", [snapshot]))["events"] == 1

    view = await sla_view(running_system, code, lambda v: "time_limit_inferred" in v["flags"])
    assert {"time_limit_inferred", "unknown_unit"} <= set(view["flags"]), view
    assert same_instant(view["due_at"], due(received, 3)), view


async def test_the_apology_for_an_assigned_dossier_is_addressed_to_its_applicant(
    running_system: System,
) -> None:
    """A step names the official (``NguoiXuLy``) after the snapshot named the applicant: the
    official's contact is kept apart from the applicant's, so the letter goes to the applicant
    by email and SMS, addressed by the applicant's name."""
    code = code_of("dv-letter")
    received = vn(2025, 10, 23, 9)
    snapshot = dossier(code, received, due(received, 3), TrangThaiHoSo="2")
    await post(running_system, "DongBoHoSoMC", [snapshot])
    step = {
        "MaHoSo": code,
        "NguoiXuLy": "Trần Văn Hùng",
        "PhongBanXuLy": "Phòng Cấp phép",
        "ThoiDiemXuLy": stamp(received + dt.timedelta(hours=1)),
        "TrangThai": "4",
        "NoiDungXuLy": "Chuyển xử lý",
    }
    assert (await post(running_system, "CapNhatTienDoHoSoMC", [step]))["events"] == 1

    items = await apologies(running_system, code, count=4)  # applicant ×2, the two copies
    to_applicant = sorted(i["channel"] for i in items if i["recipient_role"] == "applicant")
    assert to_applicant == ["email", "sms"], items
    html = await letter(running_system, items[0]["id"])
    assert "Phạm Thị Dung" in html
    assert "Trần Văn Hùng" not in html

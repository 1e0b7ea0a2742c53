"""The portal format through ingest, against the real broker and database (docs/contract.md §1b).

One dossier's life as successive ``DongBoHoSoMC`` snapshots, resends and a late intermediate
snapshot, the 5→9 rewrite, steps, replies, and broken requests in both styles.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import orjson
import pytest
from dunghan_common.events import OfficialContact, decode_contact, from_kafka

from tests.integration.ingest.conftest import KEY, Factory, RunningIngest, read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")

CODE = "000.00.12.H50-260803-0001"
BASE: dict[str, Any] = {
    "MaHoSo": CODE,
    "MaTTHC": "1.004227",
    "TenTTHC": "Cấp giấy phép xây dựng",
    "KenhThucHien": "2",
    "ChuHoSo": "Nguyễn Văn An",
    "SoGiayToChuHoSo": "044090001234",
    "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "044090001234"}],
    "Email": "an.nguyen@example.vn",
    "SoDienThoai": "0912345678",
    "LoaiDoiTuong": "1",
    "NgayNopHoSo": "20260803080000",
    "NgayTiepNhan": "20260803090000",
    "NgayHenTra": "20260817170000",
    "DonViXuLy": "Sở Xây dựng",
}
RECEIVED = {**BASE, "TrangThaiHoSo": "2"}
SUPPLEMENT = {
    "HoSoBoSungId": "bs1",
    "NoiDungBoSung": "Thiếu bản vẽ",
    "NgayBoSung": "20260805100000",
}
ASKED = {**BASE, "TrangThaiHoSo": "5", "DanhSachHoSoBoSung": [SUPPLEMENT]}
SUPPLIED = {
    **BASE,
    "TrangThaiHoSo": 4,
    "NgayHenTra": "20260824170000",
    "DanhSachHoSoBoSung": [{**SUPPLEMENT, "NgayTiepNhanBoSung": "20260810090000"}],
}
FINISHED = {**SUPPLIED, "TrangThaiHoSo": "9", "NgayKetThucXuLy": "20260820150000"}
RETURNED = {**FINISHED, "TrangThaiHoSo": "10", "NgayTra": "20260821090000"}
#: A step assigning the dossier to an official (personal data: ``NguoiXuLy``).
ASSIGNED = {
    "MaHoSo": CODE,
    "NguoiXuLy": "Trần Thị Bình",
    "PhongBanXuLy": "Phòng Quản lý xây dựng",
    "ThoiDiemXuLy": "20260803100000",
    "TrangThai": "4",
    "NoiDungXuLy": "Chuyển xử lý",
}


def envelope(objects: list[Any], service: str = "DongBoHoSoMC") -> dict[str, Any]:
    """The adapter style of a request."""
    return {
        "session": "x",
        "madonvi": "000.00.12.H50",
        "service": service,
        "isUpdating": "True",
        "data": objects,
    }


async def push(app: RunningIngest, service: str, body: Any) -> Any:
    """POST one portal-format request with the test key."""
    return await app.client.post(
        f"/v1/dvcqg/{service}",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )


async def test_one_dossier_life_derives_each_event_once(
    ingest_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = await ingest_factory()
    answers = []
    for snapshot in (RECEIVED, ASKED, SUPPLIED, FINISHED, RETURNED):
        for _ in range(2):  # every snapshot sent twice derives nothing new
            answers.append((await push(app, "DongBoHoSoMC", envelope([snapshot]))).json())
    assert all(a["error_code"] == "0" and "thành công" in a["message"] for a in answers)
    assert [a["events"] for a in answers] == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    # the intermediate snapshot arriving for the first time after a newer one: nothing, recorded
    late = {**ASKED, "DanhSachHoSoBoSung": [SUPPLEMENT], "TrangThaiHoSo": "4"}
    assert (await push(app, "DongBoHoSoMC", [late])).json()["events"] == 0
    records = await read_topic(app.events_topic, 6)
    types = [from_kafka(r.key, r.value, r.headers).type for r in records]
    assert types == [
        "dossier.received",
        "dossier.supplement_requested",
        "dossier.supplement_received",
        "dossier.result_ready",
        "dossier.returned",
    ]
    conn = await asyncpg.connect(app.db_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        kinds = [r[0] for r in await conn.fetch("SELECT kind FROM dvcqg_records")]
        held = [r[0] for r in await conn.fetch("SELECT held::text FROM dvcqg_snapshots")]
    finally:
        await conn.close()
    assert kinds == ["status_regressed"]
    metrics = (await app.client.get("/metrics")).text
    assert 'type="dossier.received"' in metrics
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    for text in [*held, *(bytes(r.value).decode() for r in records), metrics, logged]:
        for marker in ("Nguyễn Văn An", "044090001234", "an.nguyen@example.vn", "0912345678"):
            assert marker not in text
    contacts = await read_topic(app.contacts_topic, 1)
    assert len(contacts) == 1
    assert b"an.nguyen@example.vn" in contacts[0].value


async def test_broken_requests_are_named_field_by_field_and_reach_nothing(
    ingest_factory: Factory,
) -> None:
    app = await ingest_factory()
    good = {**RECEIVED, "MaHoSo": "000.00.12.H50-260803-0002"}
    bad = [
        {**RECEIVED, "MaHoSo": "000.00.12.H50-260803-0003", "NgayHenTra": "2026-08-17"},
        {**RECEIVED, "MaHoSo": "000.00.12.H50-260803-0004", "TrangThaiHoSo": "11"},
        {k: v for k, v in RECEIVED.items() if k != "MaHoSo"},
        {**RECEIVED, "MaHoSo": "000.00.12.H50-260803-0005", "ChuHoSo": "A" * 10_000},
    ]
    enveloped = await push(app, "DongBoHoSoMC", envelope([good, *bad]))
    bare = await push(app, "DongBoHoSoMC", [good, *bad])
    assert enveloped.status_code == bare.status_code == 422
    fields = [e["field"] for e in enveloped.json()["errors"]]
    assert fields == [
        "data[1].NgayHenTra",
        "data[2].TrangThaiHoSo",
        "data[3].MaHoSo",
        "data[4].ChuHoSo",
    ]
    assert [e["field"] for e in bare.json()["errors"]] == [f.removeprefix("data") for f in fields]
    assert enveloped.json()["error_code"] == "422"
    assert "A" * 100 not in enveloped.text
    steps = await push(app, "CapNhatTienDoHoSoMC", [{"MaHoSo": CODE, "TrangThai": "4"}])
    assert [e["field"] for e in steps.json()["errors"]] == ["[0].ThoiDiemXuLy"]
    assert (await app.client.post("/v1/dvcqg/DongBoHoSoMC", content=b"[")).status_code == 401
    assert (await read_topic(app.events_topic, 1, timeout_s=3)) == []


async def test_unknown_values_are_accepted_and_flagged(ingest_factory: Factory) -> None:
    app = await ingest_factory()
    odd = {
        **RECEIVED,
        "MaTTHC": "9.999999",
        "DonViXuLy": "Phòng không có trong danh bạ",
        "KenhThucHien": "",
        "DuocThanhToanTrucTuyen": "3",
    }
    answer = await push(app, "DongBoHoSoMC", [odd])
    assert answer.status_code == 200
    assert answer.json()["events"] == 1
    (record,) = await read_topic(app.events_topic, 1)
    flags = dict(record.headers)["ce_dvcqgflags"].decode().split()
    assert flags == ["time_limit_inferred", "unknown_channel", "unknown_payment", "unknown_unit"]


async def test_a_rewritten_status_is_a_software_fault_not_an_end(ingest_factory: Factory) -> None:
    app = await ingest_factory()
    await push(app, "DongBoHoSoMC", [RECEIVED, ASKED])
    rewritten = {**ASKED, "TrangThaiHoSo": "9"}  # 5 sent as 9: a supplement is still open
    answer = await push(app, "DongBoHoSoMC", [rewritten])
    assert answer.json()["events"] == 1
    records = await read_topic(app.events_topic, 3)
    events = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert [e.type for e in events] == [
        "dossier.received",
        "dossier.supplement_requested",
        "system.error",
    ]
    fault = events[-1].data
    assert (fault.component, fault.error_code) == ("dvcqg-sender", "status_rewritten")
    # the real finish later still ends the dossier
    answer = await push(app, "DongBoHoSoMC", [FINISHED])
    assert answer.json()["events"] == 2  # supplement received, result ready


async def test_replies_become_sync_evidence(ingest_factory: Factory) -> None:
    app = await ingest_factory()
    replies = [
        {
            "MaHoSo": CODE,
            "service": "DongBoHoSoMC",
            "TrangThaiHoSo": "2",
            "error_code": 0,
            "message": "Đồng bộ thành công",
            "ThoiDiem": "20260803090500",
        },
        {
            "MaHoSo": CODE,
            "service": "DongBoHoSoMC",
            "TrangThaiHoSo": "10",
            "error_code": "-1",
            "message": "Lỗi hệ thống",
            "ThoiDiem": "20260821090500",
        },
        {
            "MaHoSo": CODE,
            "service": "DongBoHoSoMC",
            "TrangThaiHoSo": "2",
            "error_code": "-3",
            "message": "Hồ sơ đã tồn tại",
            "ThoiDiem": "20260803090600",
        },
    ]
    answer = await app.client.post(
        "/v1/dvcqg/replies",
        content=orjson.dumps(replies),
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.json() | {} == {**answer.json(), "error_code": "0", "events": 2, "accepted": 3}
    events = [from_kafka(r.key, r.value, r.headers) for r in await read_topic(app.events_topic, 2)]
    assert [e.type for e in events] == ["portal.sync_succeeded", "portal.sync_failed"]
    assert events[1].data.status_code == 10


async def test_steps_assign_under_a_pseudonym_and_a_replaced_code_is_one_dossier(
    ingest_factory: Factory,
) -> None:
    app = await ingest_factory()
    await push(app, "DongBoHoSoMC", [RECEIVED])
    assigned = envelope([ASSIGNED], "CapNhatTienDoHoSoMC")
    assert (await push(app, "CapNhatTienDoHoSoMC", assigned)).json()["events"] == 1
    replaced = {**RECEIVED, "MaHoSo": "H50-260803-77777", "MaHoSoKhac": CODE, "TrangThaiHoSo": "4"}
    answer = await push(app, "DongBoHoSoMC", [replaced])
    assert answer.status_code == 200
    records = await read_topic(app.events_topic, 3)
    events = [from_kafka(r.key, r.value, r.headers) for r in records]
    assert {e.subject for e in events} == {CODE}
    assert events[1].type == "dossier.assigned"
    assigned_id = events[1].data.assignee.id  # type: ignore[union-attr]
    assert "Trần Thị Bình" not in bytes(records[1].value).decode()
    assert events[2].data.error_code == "dossier_code_replaced"
    contacts = {r.key: decode_contact(r.value) for r in await read_topic(app.contacts_topic, 2)}
    # The applicant's record stays the dossier's; the official's is keyed by the pseudonym.
    applicant, official = contacts[CODE.encode()], contacts[f"official:{assigned_id}".encode()]
    assert (applicant.name, applicant.email) == ("Nguyễn Văn An", "an.nguyen@example.vn")
    assert isinstance(official, OfficialContact)
    assert (official.name, official.email, official.dossier_code) == ("Trần Thị Bình", None, CODE)


async def test_a_code_named_by_steps_and_answers_before_its_linking_snapshot_is_one_dossier(
    ingest_factory: Factory,
) -> None:
    """The sender replaces the code after reception and names the new one in an answer and a step
    before the first snapshot that links both codes: the dossier stays one, under its first code,
    with the answer and the assignment derived again on it; later objects naming the new code
    follow it there."""
    app = await ingest_factory()
    new = "H50-260803-77777"
    await push(app, "DongBoHoSoMC", [RECEIVED])
    reply = {
        "MaHoSo": new,
        "service": "DongBoHoSoMC",
        "TrangThaiHoSo": "2",
        "error_code": "0",
        "message": "Đồng bộ thành công",
        "ThoiDiem": "20260803090500",
    }
    answer = await app.client.post(
        "/v1/dvcqg/replies",
        content=orjson.dumps([reply]),
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert answer.json()["events"] == 1
    step = {**ASSIGNED, "MaHoSo": new}
    await push(app, "CapNhatTienDoHoSoMC", [step])
    linking = {**RECEIVED, "MaHoSo": new, "MaHoSoKhac": CODE, "TrangThaiHoSo": "4"}
    assert (await push(app, "DongBoHoSoMC", [linking])).json()["events"] == 3
    finished = {**linking, "TrangThaiHoSo": "9", "NgayKetThucXuLy": "20260810150000"}
    assert (await push(app, "DongBoHoSoMC", [finished, linking])).json()["events"] == 1
    later = {**step, "ThoiDiemXuLy": "20260804100000", "PhongBanXuLy": "Phòng Cấp phép"}
    assert (await push(app, "CapNhatTienDoHoSoMC", [later])).json()["events"] == 1
    records = await read_topic(app.events_topic, 8)
    assert not any("Trần Thị Bình".encode() in bytes(r.value) for r in records)
    events = [from_kafka(r.key, r.value, r.headers) for r in records]
    before = [e for e in events if e.subject == new]  # sent before the link: cannot be unsent
    assert [e.type for e in before] == ["portal.sync_succeeded", "dossier.assigned"]
    dossier = [e for e in events if e.subject == CODE]
    assert [e.type for e in dossier] == [
        "dossier.received",
        "portal.sync_succeeded",
        "dossier.assigned",
        "system.error",
        "dossier.result_ready",
        "dossier.assigned",
    ]
    assert (dossier[1].time, dossier[1].data) == (before[0].time, before[0].data)
    assert (dossier[2].time, dossier[2].data) == (before[1].time, before[1].data)
    assert dossier[3].data.error_code == "dossier_code_replaced"

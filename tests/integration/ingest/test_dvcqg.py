"""The portal format through ingest, against the real broker and database (docs/contract.md §1b).

One dossier's life as successive ``DongBoHoSoMC`` snapshots, resends and a late intermediate
snapshot, the 5→9 rewrite, steps, replies, and broken requests in both styles.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import pytest
from dunghan_common.events import from_kafka

from tests import support
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


def envelope(objects: list[Any], service: str = "DongBoHoSoMC") -> dict[str, Any]:
    """The adapter style of a request."""
    return {"session": "x", "madonvi": "000.00.12.H50", "service": service, "isUpdating": "True", "data": objects}


async def push(app: RunningIngest, service: str, body: Any) -> Any:
    """POST one portal-format request with the test key."""
    return await app.client.post(
        f"/v1/dvcqg/{service}",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )


async def test_one_dossier_life_derives_each_event_once(ingest_factory: Factory) -> None:
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
    for text in held + [bytes(r.value).decode() for r in records]:
        for marker in ("Nguyễn Văn An", "044090001234", "an.nguyen@example.vn", "0912345678"):
            assert marker not in text
    contacts = await read_topic(app.contacts_topic, 1)
    assert len(contacts) == 1 and b"an.nguyen@example.vn" in contacts[0].value

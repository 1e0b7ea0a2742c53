"""The compiled parser and translator derive exactly what their sources do (ingest/native.py).

`make install` compiles ``ingest.domain.dvcqg`` and ``ingest.domain.dvcqg_translate`` with mypyc
(G10, docs/performance.md). A sample month in the portal's format (every sender fault of the
sample: 5→9 rewrites, synthetic finishes, replaced codes), broken objects of every kind and the
bench's dossier lives go through both: the compiled modules in this process, the sources in a
child process with ``DUNGHAN_INGEST_NATIVE=off``. Every parse error, every event (attributes and
data), contact, recorded fact and stored held state must be byte for byte the same.

Run as a script (``python test_dvcqg_native.py CORPUS OUT``) it writes what one process derives.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
SOURCE = "igate-quangtri"
BASE: dict[str, Any] = {
    "MaHoSo": "000.00.12.H50-261001-0001", "MaTTHC": "1.004227", "TrangThaiHoSo": "2",
    "NgayTiepNhan": "20261001090000", "NgayHenTra": "20261029170000", "KenhThucHien": 2,
}  # fmt: skip
#: Objects refused for one field or more, and values only flagged.
BROKEN: list[dict[str, Any]] = [
    {**BASE, "NgayHenTra": "2026-10-29"},
    {**BASE, "NgayTiepNhan": "20261399090000"},
    {**BASE, "NgayTiepNhan": "20101001090000"},
    {**BASE, "NgayHenTra": "20991001090000"},
    {**BASE, "TrangThaiHoSo": "11"},
    {**BASE, "TrangThaiHoSo": 4.0},
    {k: v for k, v in BASE.items() if k != "MaHoSo"},
    {**BASE, "MaHoSo": "has a space"},
    {**BASE, "TenTTHC": "x" * 10_000, "ChuHoSo": "y" * 2_001},
    {**BASE, "DonViXuLy": ["not", "text"], "DanhSachHoSoBoSung": "not a list"},
    {**BASE, "DanhSachHoSoBoSung": [{"HoSoBoSungId": 7, "NgayBoSung": "x"}]},
    {**BASE, "DonViXuLy": "Phòng không có", "KenhThucHien": "9", "DuocThanhToanTrucTuyen": "7"},
    {**BASE, "DanhSachLePhi": [{"Gia": "50000.0"}, {"Gia": 1e3}], "ChuHoSo": "Trần Thị B"},
    {**BASE, "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "https://kq.example/a.pdf"}]},
]
STEPS: list[dict[str, Any]] = [
    {"MaHoSo": BASE["MaHoSo"], "TrangThai": "4", "ThoiDiemXuLy": "20261002090000",
     "NguoiXuLy": "Lê Văn C", "PhongBanXuLy": "Phòng Quản lý", "NgayKetThucTheoQuyDinh": ""},
    {"MaHoSo": BASE["MaHoSo"], "TrangThai": 9, "ThoiDiemXuLy": "20261003090000",
     "NoiDungXuLy": "Không có ngày hẹn trả"},
    {"MaHoSo": BASE["MaHoSo"], "TrangThai": "4"},
    "not an object",
]  # fmt: skip


def corpus(tmp: Path) -> list[tuple[str, list[Any]]]:
    """Requests in sending order: (service, objects), one dossier's objects per request."""
    sys.path.insert(0, str(ROOT / "bench"))
    from dunghan_common.units import load_units
    from dunghan_province.dvcqg import convert
    from dunghan_province.month import MonthSpec
    from dunghan_province.sample import calendar, write_sample
    from dvcqg_bench import lives

    path = tmp / "month.ndjson"
    spec = MonthSpec(2026, 10, int(AS_OF.timestamp()), volume=300, seed=8)
    write_sample(spec, calendar(ROOT / "config/calendar"), path)
    names = {u.code: u.name for u in load_units(ROOT / "config/units.toml").units}
    month = convert(path.read_bytes().splitlines(), names)
    requests: list[tuple[str, list[Any]]] = []
    for sent in month.dossiers:
        requests += [(service, [obj]) for service, obj in sent]
    requests += [("DongBoHoSoMC", [obj]) for obj in BROKEN]
    requests += [("DongBoHoSoMC", [*BROKEN[:3], BASE])]  # good and bad objects in one request
    requests += [("CapNhatTienDoHoSoMC", [obj]) for obj in STEPS]
    for step in lives(20, "native"):
        requests.append(("DongBoHoSoMC", step))
    return requests


def derive(requests: list[tuple[str, list[Any]]]) -> bytes:
    """Everything the imported modules derive from the requests through ingest's use case (on
    in-memory stores, held states kept as their stored JSON), one object at a time, as JSON."""
    import asyncio

    import ingest.native
    from dunghan_common.clock import FakeClock
    from dunghan_common.units import load_units
    from ingest.domain.dvcqg import parse_replies, parse_snapshots, parse_steps
    from ingest.dvcqg_catalogue import load_catalogue
    from ingest.fakes import in_memory_portal

    directory = load_units(ROOT / "config/units.toml")
    catalogue = load_catalogue(ROOT / "config/ingest/procedures.toml")
    portal = in_memory_portal(FakeClock(AS_OF), catalogue.get, directory.code_by_portal_name)
    sync, store, published = portal.sync, portal.store, portal.publisher
    parsers = {"DongBoHoSoMC": parse_snapshots, "CapNhatTienDoHoSoMC": parse_steps}
    out: list[Any] = [ingest.native.active()]

    async def send() -> None:
        for service, objects in requests:
            parsed = parsers.get(service, parse_replies)(objects, "data", AS_OF)
            out.append([e.model_dump() for e in parsed.errors])
            for item in parsed.items:
                seen = (len(published.published), len(published.contacts), len(store.records))
                if service == "replies":
                    await sync.replies(SOURCE, [item])  # type: ignore[list-item]
                else:
                    await sync.execute(SOURCE, [item])  # type: ignore[list-item]
                code = store.aliased.get((SOURCE, item.code), item.code)
                out.append(
                    {
                        "service": service,
                        "events": [
                            e.model_dump(mode="json") for e in published.published[seen[0] :]
                        ],
                        "contacts": [
                            c.model_dump(mode="json") for c in published.contacts[seen[1] :]
                        ],
                        "recorded": [kind for _, _, kind in store.records[seen[2] :]],
                        "held": store.held.get((SOURCE, code)),
                    }
                )

    asyncio.run(send())
    out.append(sorted(store.aliased.items()))
    return orjson.dumps(out, option=orjson.OPT_SORT_KEYS)


def test_the_portal_modules_are_the_compiled_ones() -> None:
    import ingest.domain.dvcqg_translate
    import ingest.native

    assert ingest.native.compiled_current(), "run `make install` (services/ingest/build_native.py)"
    assert ingest.native.active()


def test_compiled_and_plain_modules_derive_the_same(tmp_path: Path) -> None:
    requests = corpus(tmp_path)
    (tmp_path / "corpus.json").write_bytes(orjson.dumps(requests))
    env = {**os.environ, "DUNGHAN_INGEST_NATIVE": "off"}
    args = [sys.executable, __file__, str(tmp_path / "corpus.json"), str(tmp_path / "plain.json")]
    subprocess.run(args, env=env, check=True, timeout=120)
    plain = orjson.loads((tmp_path / "plain.json").read_bytes())
    compiled = orjson.loads(derive(requests))
    assert (compiled[0], plain[0]) == (True, False)  # each side ran what it should
    assert len(compiled) > 1_500
    derived = [o for o in compiled[1:] if isinstance(o, dict)]
    assert sum(len(o["events"]) for o in derived) > 1_000
    # Answers and steps naming a replaced code before its link, derived again by a snapshot:
    assert any(
        e["type"].startswith("portal.") for o in derived if o["service"] == "DongBoHoSoMC"
        for e in o["events"]
    )  # fmt: skip
    assert compiled[1:] == plain[1:]


if __name__ == "__main__":
    Path(sys.argv[2]).write_bytes(derive(orjson.loads(Path(sys.argv[1]).read_bytes())))

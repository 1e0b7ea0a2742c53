"""G10: dossier snapshots per second through ``POST /v1/dvcqg/DongBoHoSoMC`` (docs/performance.md).

The real ``python -m ingest api`` (one process) on a fresh database and fresh topics, the same bench
source as G1. Each request carries 1,000 ``DongBoHoSoMC`` objects, each the next step of its own
dossier (received; assigned; supplement requested; supplement received with a new appointment;
finished; returned), so every snapshot is translated against a held one and derives events; the
rounds go out over four connections from this process (httpx, pre-serialised bodies). ingest
runs with the procedure catalogue it is deployed with, which knows the dossiers' procedure, once
with the compiled parser and translator (``make install``) and once with their sources. Goal:
≥ 0.5 × (G1 events/s ÷ events derived per snapshot), with G1 of one ingest process taken from
the ingest module's rows of the same run, or measured here (a short G1 on the same process) when
this module runs alone:
``.venv/bin/python bench/run.py --only dvcqg``.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import orjson
from ingest.native import SWITCH, compiled_current
from ingest_bench import _stop, start_ingest
from ingest_parts.common import BENCH_KEY, PY, database, free_port, partitions_of, topics, wait_http
from ingest_parts.loadgen import run_load

#: Dossiers per run (six snapshots each) and dossiers of the warm-up run.
SIZES = {True: (1_000, 200), False: (20_000, 1_000)}
PER_REQUEST = 1_000
CATALOGUE = Path(__file__).resolve().parent.parent / "config" / "ingest" / "procedures.toml"
CONNECTIONS = 4


def lives(dossiers: int, run: str) -> list[list[dict[str, Any]]]:
    """Per step, the snapshot of every dossier at that step (strings, as senders send them)."""
    steps: list[list[dict[str, Any]]] = [[] for _ in range(6)]
    for i in range(dossiers):
        base = {
            "MaHoSo": f"000.00.12.H50-{run}-{i:06d}", "MaTTHC": "1.004227",
            "TenTTHC": "Cấp giấy phép xây dựng", "KenhThucHien": "2", "ChuHoSo": "Nguyễn Văn An",
            "LoaiDoiTuong": "1", "NgayNopHoSo": "20261001080000", "NgayTiepNhan": "20261001090000",
            "NgayHenTra": "20261029170000", "DonViXuLy": "Sở Xây dựng",
        }  # fmt: skip
        supplement = {"HoSoBoSungId": "1", "NoiDungBoSung": "Thiếu bản vẽ",
                      "NgayBoSung": "20261005100000"}  # fmt: skip
        received = {**supplement, "NgayTiepNhanBoSung": "20261008090000"}
        life = [
            {**base, "TrangThaiHoSo": "2"},
            {**base, "TrangThaiHoSo": "4", "DanhSachLePhi": [{"Gia": "50000"}]},
            {**base, "TrangThaiHoSo": "5", "DanhSachHoSoBoSung": [supplement]},
            {**base, "TrangThaiHoSo": "4", "NgayHenTra": "20261103170000",
             "DanhSachHoSoBoSung": [received]},
            {**base, "TrangThaiHoSo": "9", "NgayHenTra": "20261103170000",
             "DanhSachHoSoBoSung": [received], "NgayKetThucXuLy": "20261020150000"},
            {**base, "TrangThaiHoSo": "10", "NgayHenTra": "20261103170000",
             "DanhSachHoSoBoSung": [received], "NgayKetThucXuLy": "20261020150000",
             "NgayTra": "20261021090000"},
        ]  # fmt: skip
        for step, snapshot in enumerate(life):
            steps[step].append(snapshot)
    return steps


async def push_all(port: int, steps: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Every step's requests (rounds in order, each round over the connections); the figures."""
    url = f"http://127.0.0.1:{port}/v1/dvcqg/DongBoHoSoMC"
    headers = {"Authorization": f"Bearer {BENCH_KEY}", "Content-Type": "application/json"}
    snapshots = events = failed = 0
    bodies = [
        [orjson.dumps(step[i : i + PER_REQUEST]) for i in range(0, len(step), PER_REQUEST)]
        for step in steps
    ]
    async with httpx.AsyncClient(
        timeout=120, limits=httpx.Limits(max_connections=CONNECTIONS)
    ) as c:
        started = time.perf_counter()
        for round_bodies in bodies:

            async def worker(queue: list[bytes]) -> None:
                nonlocal snapshots, events, failed
                while queue:
                    body = queue.pop()
                    answer = await c.post(url, content=body, headers=headers)
                    if answer.status_code != 200:
                        failed += 1
                        continue
                    got = answer.json()
                    snapshots += got["accepted"]
                    events += got["events"]

            queue = list(round_bodies)
            await asyncio.gather(*(worker(queue) for _ in range(CONNECTIONS)))
        seconds = time.perf_counter() - started
    return {"snapshots": snapshots, "events": events, "failed": failed, "seconds": seconds}


def _g1(prior: list[dict[str, Any]]) -> float | None:
    """G1 events/s of one ingest process from the ingest module's rows, if it ran."""
    for row in prior:
        if row["id"] == "G1" and "1 process," in row["what"]:
            return float(row["value"])
    return None


def _measure(smoke: bool, native: bool, measure_g1: bool) -> tuple[dict[str, Any], float | None]:
    """One G10 run on a fresh database and topics, and a short G1 on the same process if asked."""
    import os
    import subprocess

    dossiers, warm = SIZES[smoke]
    tag = uuid.uuid4().hex[:8]
    topic, contacts, db = (f"bench_{k}_{tag}" for k in ("dv_ev", "dv_ct", "dv_db"))
    parts = asyncio.run(partitions_of("dossier-events"))
    names = {topic: parts, contacts: parts}
    asyncio.run(topics(names, create=True))
    db_url = asyncio.run(database(db, create=True))
    port = free_port()
    ingest = None
    g1 = None
    try:
        env = {**os.environ, "DUNGHAN_DB_URL": db_url, "DUNGHAN_ENV": "test"}
        subprocess.run([PY, "-m", "ingest", "migrate"], check=True, env=env)
        # The procedure catalogue as deployed (config/dev.env, the Kubernetes ConfigMap).
        more = {"DUNGHAN_DVCQG_PROCEDURES_FILE": str(CATALOGUE)}
        more[SWITCH] = "on" if native else "off"
        ingest = start_ingest(port, db_url, topic, contacts, 1, more_env=more)
        wait_http(f"http://127.0.0.1:{port}/healthz")
        if measure_g1:
            run_load(port, "batch", 3, 1000, 2, 5.0)  # warm-up
            batches = run_load(port, "batch", 12 if smoke else 60, 1000, 4, 30.0)
            g1 = batches["requests"] * 1000 / batches["seconds"]
        asyncio.run(push_all(port, lives(warm, "warm" + tag)))
        got = asyncio.run(push_all(port, lives(dossiers, tag)))
    finally:
        if ingest is not None:
            _stop(ingest)
        asyncio.run(topics(names, create=False))
        asyncio.run(database(db, create=False))
    return got, g1


def run(smoke: bool, prior: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """G10 with one ingest process, with the compiled parser and translator and with their
    sources (``DUNGHAN_INGEST_NATIVE=off``), each on a fresh database and topics; two rows.

    Not with two processes: four connections are too few to spread evenly over the processes'
    sockets (one run had 20,454 snapshots/s, the next 26,170), while G1 gains from the second
    process too.
    """
    compiled = compiled_current()
    rows = []
    g1 = _g1(prior or [])
    source = "G1 of this run"
    for native in (True, False):
        got, measured = _measure(smoke, native, measure_g1=g1 is None)
        if measured is not None:
            g1, source = measured, "G1 measured here"
        assert g1 is not None
        rate = got["snapshots"] / got["seconds"]
        per = got["events"] / max(1, got["snapshots"])
        reference = g1 / per  # snapshots/s if a snapshot cost what its events cost through G1
        note = f", {got['failed']} non-200" if got["failed"] else ""
        if not native:
            modules = "their sources (DUNGHAN_INGEST_NATIVE=off)"
        elif compiled:
            modules = "compiled"
        else:
            modules = "sources: not compiled, run make install"
        rows.append(
            {
                "id": "G10",
                "what": (
                    "portal format: DongBoHoSoMC snapshots, 1,000 per request, each the next step "
                    f"of its dossier, 1 process, parser and translator {modules} ({per:.2f} events "
                    f"derived per snapshot; {source}: {g1:,.0f} events/s)"
                ),
                "figure": f"{rate:,.0f} snapshots/s{note}",
                "value": rate,
                "ratio": rate / reference,
                "target": "≥ 0.5 × (G1 ÷ events per snapshot)",
                "met": rate >= 0.5 * reference and not got["failed"],
            }
        )
    return rows


if __name__ == "__main__":
    for row in run("--smoke" in sys.argv):
        print(orjson.dumps(row).decode())

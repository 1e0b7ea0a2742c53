"""G1/G2 benchmark of ingest against R1 (Kafka's producer tool), R4 (bare aiokafka), R5 (bare HTTP).

Run ``uv run python bench/ingest_bench.py [--smoke]``; the driver (bench/run.py) imports ``run``.
Everything runs on the local stack: a fresh topic per run with the partition count of
``dossier-events``, a fresh database for ingest's duplicate ledger, the real
``python -m ingest api`` process and a bare FastAPI app served the same way (uvicorn, uvloop,
httptools), loaded by the same load generator: a raw asyncio HTTP/1.1 keep-alive client in a
separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
# Chosen by the parent, inherited by the load generator processes through the environment.
BENCH_KEY = os.environ.get("INGEST_BENCH_KEY") or "bench-ingest-key-" + uuid.uuid4().hex
BOOTSTRAP = os.environ.get("DUNGHAN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


# ---- events ------------------------------------------------------------------------------------
def make_events(n: int, run: str) -> list[dict[str, Any]]:
    """``n`` valid events cycling through every pushed type, with unique ids and dossier codes."""
    from dunghan_common.events import EXAMPLES

    kinds = list(EXAMPLES)
    out = []
    for i in range(n):
        e = copy.deepcopy(EXAMPLES[kinds[i % len(kinds)]])
        e["id"] = f"{run}-{i}"
        if "subject" in e:
            e["subject"] = f"000.00.12.H50-{run}-{i // len(kinds)}"
        out.append(e)
    return out


def serialised(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """The records ingest writes to ``dossier-events`` for these events (key, value, headers)."""
    from dunghan_common.events import parse_event, split_contact, to_kafka

    out = []
    for raw in events:
        public, _ = split_contact(parse_event(raw))
        m = to_kafka(public)
        out.append((m.key, m.value, m.headers))
    return out


def median_size(records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> int:
    """Median bytes of one record: value plus header names and values (what a record carries)."""
    sizes = [len(v) + sum(len(k) + len(h) for k, h in hs) for _, v, hs in records]
    return int(statistics.median(sizes))


# ---- plumbing ----------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def partitions_of(topic: str) -> int:
    """Partition count of an existing topic (6 if it is missing)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
        return len(described[0]["partitions"]) or 6
    except Exception:
        return 6
    finally:
        await admin.close()


def wait_http(url: str, seconds: float = 30) -> None:
    """Wait until a server answers ``GET url`` with 200."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# ---- R1 ----------------------------------------------------------------------------------------
def r1_producer_tool(topic: str, n: int, size: int) -> float:
    """Kafka's ProducerPerformance, acks=all, idempotent: records/s."""
    cmd = [
        str(ROOT / "deploy/local/stack.sh"), "kafka-java",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic", topic, "--num-records", str(n), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={BOOTSTRAP}", "acks=all", "enable.idempotence=true",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    found = re.findall(r"records sent, ([0-9.]+) records/sec", out)
    if not found:
        raise RuntimeError(f"ProducerPerformance printed no summary: {out[-500:]}")
    return float(found[-1])


# ---- R4 ----------------------------------------------------------------------------------------
async def r4_aiokafka(
    topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> float:
    """A bare aiokafka loop over pre-serialised records, producer tuned like ingest's: records/s."""
    from aiokafka import AIOKafkaProducer
    from dunghan_common.settings import KafkaSettings

    s = KafkaSettings(bootstrap_servers=BOOTSTRAP)
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True, linger_ms=s.linger_ms,
        max_batch_size=s.max_batch_size, max_request_size=8 * 1_048_576,
    )  # fmt: skip
    await producer.start()
    try:
        began = time.perf_counter()
        for start in range(0, len(records), 1000):
            chunk = records[start : start + 1000]
            futures = [await producer.send(topic, v, key=k, headers=h) for k, v, h in chunk]
            await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - began)
    finally:
        await producer.stop()


# ---- servers -----------------------------------------------------------------------------------
def bare_app() -> Any:
    """R5: parse the body as JSON, answer 202; nothing else."""
    app = FastAPI()

    @app.post("/v1/events")
    async def events(request: Request) -> Response:
        body = orjson.loads(await request.body())
        count = len(body) if isinstance(body, list) else 1
        return Response(orjson.dumps({"accepted": count, "duplicates": 0}), 202)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int) -> None:
    """Serve the bare app exactly like the services are served (runtime.serve_http, uvloop)."""
    from dunghan_common.runtime import main, serve_http

    async def role() -> None:
        await serve_http(bare_app(), "127.0.0.1", port)

    main({"serve": role}, ["serve"])


def start_ingest(
    port: int, db_url: str, topic: str, contacts: str, workers: int
) -> subprocess.Popen[bytes]:
    """``python -m ingest api`` on a port, with a bench source whose rate limit never binds."""
    from dunghan_common.settings import hash_secret

    sources = [{"id": "igate-quangtri", "key_hashes": [hash_secret(BENCH_KEY)],
                "rate_limit": {"events_per_s": 1e9, "burst": 10**9}}]  # fmt: skip
    env = {
        **os.environ, "DUNGHAN_ENV": "test", "DUNGHAN_HTTP_PORT": str(port),
        "DUNGHAN_DB_URL": db_url,
        "DUNGHAN_KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "DUNGHAN_LOG_LEVEL": "WARNING",
        "DUNGHAN_INGEST_SOURCES": json.dumps(sources), "DUNGHAN_INGEST_EVENTS_TOPIC": topic,
        "DUNGHAN_INGEST_CONTACTS_TOPIC": contacts, "DUNGHAN_INGEST_WORKERS": str(workers),
    }  # fmt: skip
    return subprocess.Popen([PY, "-m", "ingest", "api"], env=env, stdout=subprocess.DEVNULL)


# ---- load generator (separate process) ---------------------------------------------------------
async def _connection(
    port: int, bodies: list[bytes], ctype: str, deadline: float, out: list[int]
) -> None:
    """One keep-alive connection sending its bodies in turn until the deadline; counts 202s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {BENCH_KEY}\r\n"
        f"Content-Type: {ctype}\r\n"
    ).encode()
    ok = failed = 0
    for body in bodies:
        if time.perf_counter() > deadline:
            break
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if status_line.split()[1] == b"202":
            ok += 1
        else:
            failed += 1
    writer.close()
    out.extend([ok, failed])


def load(port: int, mode: str, count: int, per_request: int, conns: int, seconds: float) -> None:
    """Print ``{"requests": n, "failed": f, "seconds": s}`` for a run of requests against a port."""
    run = uuid.uuid4().hex[:8]
    template = orjson.dumps(make_events(22, run))
    events = orjson.loads(template)
    bodies = []
    for i in range(count):
        batch = []
        for j in range(per_request):
            e = dict(events[(i * per_request + j) % len(events)])
            e["id"] = f"{run}-{i}-{j}"
            batch.append(e)
        bodies.append(orjson.dumps(batch if mode == "batch" else batch[0]))
    ctype = (
        "application/cloudevents-batch+json" if mode == "batch" else "application/cloudevents+json"
    )
    out: list[int] = []

    async def main() -> float:
        began = time.perf_counter()
        deadline = began + seconds
        shards = [bodies[k::conns] for k in range(conns)]
        await asyncio.gather(*(_connection(port, s, ctype, deadline, out) for s in shards))
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    print(json.dumps({"requests": sum(out[0::2]), "failed": sum(out[1::2]), "seconds": elapsed}))


def run_load(
    port: int, mode: str, count: int, per_request: int, conns: int, seconds: float
) -> dict[str, Any]:
    """Run the load generator in its own process (so it does not share our event loop or GIL)."""
    args = [
        PY,
        __file__,
        "--load",
        str(port),
        mode,
        str(count),
        str(per_request),
        str(conns),
        str(seconds),
    ]
    env = {**os.environ, "INGEST_BENCH_KEY": BENCH_KEY}
    out = subprocess.run(args, capture_output=True, text=True, check=True, env=env, timeout=900)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---- orchestration -----------------------------------------------------------------------------
WORKERS = {True: (2,), False: (1, 2)}
SIZES = {
    True: {"r1": 5_000, "r4": 3_000, "g1": (12, 2, 2.0), "http": (6_000, 64, 2.0)},
    False: {"r1": 300_000, "r4": 100_000, "g1": (200, 4, 20.0), "http": (100_000, 128, 10.0)},
}


async def _topics(names: list[str], partitions: int, create: bool) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        if create:
            await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
        else:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def _database(name: str, create: bool) -> str:
    import asyncpg

    port = os.environ.get("PG_PORT", "55432")
    conn = await asyncpg.connect(f"postgresql://dunghan:dunghan@127.0.0.1:{port}/postgres")
    try:
        sql = (
            f'CREATE DATABASE "{name}"'
            if create
            else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
        await conn.execute(sql)
    finally:
        await conn.close()
    return f"postgresql+asyncpg://dunghan:dunghan@127.0.0.1:{port}/{name}"


def http_runs(smoke: bool, db_url: str, topic: str, contacts: str) -> dict[str, dict[str, Any]]:
    """R5 on the bare app, then G1 and G2 on the real ingest, same load generator."""
    size = SIZES[smoke]
    count, conns, seconds = size["http"]
    port = free_port()
    bare = subprocess.Popen([PY, __file__, "--serve-bare", str(port)])
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        run_load(port, "single", 500, 1, conns, 1.0)  # warm-up
        r5 = run_load(port, "single", count, 1, conns, seconds)
    finally:
        bare.terminate()
        bare.wait(10)
    runs: dict[str, dict[str, Any]] = {"r5": r5}
    for workers in WORKERS[smoke]:
        port = free_port()
        ingest = start_ingest(port, db_url, topic, contacts, workers)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            run_load(port, "batch", 3 * workers, 1000, 2 * workers, 5.0)  # warm every worker up
            batches, batch_conns, batch_seconds = size["g1"]
            runs[f"g1/{workers}"] = run_load(
                port, "batch", batches, 1000, batch_conns * workers, batch_seconds
            )
            runs[f"g2/{workers}"] = run_load(port, "single", count, 1, conns, seconds)
        finally:
            ingest.terminate()
            ingest.wait(15)
    return runs


def _row(id_: str, what: str, figure: str, value: float, ratio: float | None, target: str,
         met: bool | None) -> dict[str, Any]:  # fmt: skip
    return {"id": id_, "what": what, "figure": figure, "value": value, "ratio": ratio,
            "target": target, "met": met}  # fmt: skip


def rows(
    r1: float, r4: float, http: dict[str, dict[str, Any]], size: int, parts: int
) -> list[dict[str, Any]]:
    """The table rows: references, then goals with their ratios."""
    r5 = http["r5"]["requests"] / http["r5"]["seconds"]
    out = [
        _row("R1", f"Kafka ProducerPerformance, {size} B records, {parts} partitions, acks=all",
             f"{r1:,.0f} records/s", r1, None, "reference K_p", None),
        _row("R4", "bare aiokafka loop, pre-serialised events, acks=all, idempotent",
             f"{r4:,.0f} records/s", r4, None, "reference P_py", None),
        _row("R5", "bare FastAPI endpoint: parse JSON, 202 (same uvicorn settings)",
             f"{r5:,.0f} req/s", r5, None, "reference H_json", None),
    ]  # fmt: skip
    for key in sorted(k for k in http if k.startswith("g1/")):
        workers = key.split("/")[1]
        g1_run, g2_run = http[key], http[f"g2/{workers}"]
        g1 = g1_run["requests"] * 1000 / g1_run["seconds"]
        g2 = g2_run["requests"] / g2_run["seconds"]
        failed = g1_run["failed"] + g2_run["failed"]
        note = f" ({failed} non-202)" if failed else ""
        proc = f"{workers} ingest process{'es' if workers != '1' else ''}"
        out += [
            _row("G1", f"batched ingest, 1,000 events/request, 202 after ack, {proc}, vs K_p",
                 f"{g1:,.0f} events/s{note}", g1, g1 / r1, "≥ 0.25 × K_p", g1 / r1 >= 0.25),
            _row("G1", f"batched ingest, 1,000 events/request, 202 after ack, {proc}, vs P_py",
                 f"{g1:,.0f} events/s{note}", g1, g1 / r4, "≥ 0.6 × P_py", g1 / r4 >= 0.6),
            _row("G2", f"single-event ingest, {proc} (p99 at half load not measured)",
                 f"{g2:,.0f} req/s{note}", g2, g2 / r5, "≥ 0.6 × H_json", g2 / r5 >= 0.6),
        ]  # fmt: skip
    return out


def run(smoke: bool) -> list[dict[str, Any]]:
    """Run the references and the goals back to back; return the rows."""
    size = SIZES[smoke]
    tag = uuid.uuid4().hex[:8]
    ref, topic, contacts, db = (
        f"bench_ref_{tag}",
        f"bench_ev_{tag}",
        f"bench_ct_{tag}",
        f"bench_{tag}",
    )
    parts = asyncio.run(partitions_of("dossier-events"))
    asyncio.run(_topics([ref, topic, contacts], parts, create=True))
    db_url = asyncio.run(_database(db, create=True))
    try:
        env = {**os.environ, "DUNGHAN_DB_URL": db_url, "DUNGHAN_ENV": "test"}
        subprocess.run([PY, "-m", "ingest", "migrate"], check=True, env=env)
        records = serialised(make_events(max(size["r4"], 22), tag))
        record_size = median_size(records)
        r1 = r1_producer_tool(ref, size["r1"], record_size)
        r4 = asyncio.run(r4_aiokafka(ref, records))
        http = http_runs(smoke, db_url, topic, contacts)
    finally:
        asyncio.run(_topics([ref, topic, contacts], parts, create=False))
        asyncio.run(_database(db, create=False))
    return rows(r1, r4, http, record_size, parts)


def main() -> None:
    """Script entry: the benchmark, or one of its helper processes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--serve-bare", type=int)
    parser.add_argument("--load", nargs=6)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
    elif args.load:
        port, mode, count, per, conns, seconds = args.load
        load(int(port), mode, int(count), int(per), int(conns), float(seconds))
    else:
        for row in run(args.smoke):
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""The load generator: a raw asyncio HTTP/1.1 keep-alive client, run in a process of its own.

Two modes: as fast as possible (throughput), or paced at a fixed request rate spread over the
connections (latency at a given load). A paced request's latency counts from when it was due, not
from when it went out, so a stalled server cannot hide its queue (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from typing import Any

import orjson

from ingest_parts.common import BENCH_KEY, PY, ROOT, make_events

_CTYPES = {"batch": "application/cloudevents-batch+json", "single": "application/cloudevents+json"}


async def _connection(
    port: int, bodies: list[bytes], ctype: str, deadline: float, interval: float, out: list[Any]
) -> None:
    """One connection sending its bodies in turn (every ``interval`` s if paced); counts 202s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {BENCH_KEY}\r\n"
        f"Content-Type: {ctype}\r\n"
    ).encode()
    ok = failed = 0
    latencies: list[float] = []
    due = time.perf_counter()
    for body in bodies:
        if interval:
            due += interval
            await asyncio.sleep(max(due - time.perf_counter(), 0))
        sent = due if interval else time.perf_counter()
        if sent > deadline:
            break
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - sent)
        if status_line.split()[1] == b"202":
            ok += 1
        else:
            failed += 1
    writer.close()
    out.append((ok, failed, latencies))


def _bodies(mode: str, count: int, per_request: int) -> list[bytes]:
    run = uuid.uuid4().hex[:8]
    events = orjson.loads(orjson.dumps(make_events(22, run)))
    bodies = []
    for i in range(count):
        batch = []
        for j in range(per_request):
            e = dict(events[(i * per_request + j) % len(events)])
            e["id"] = f"{run}-{i}-{j}"
            if "subject" in e:  # about eight events per dossier, dossiers spread over partitions
                e["subject"] = f"000.00.12.H50-{run}-{i}-{j // 8}"
            batch.append(e)
        bodies.append(orjson.dumps(batch if mode == "batch" else batch[0]))
    return bodies


def percentile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values (nearest rank); 0 for none."""
    if not ordered:
        return 0.0
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def load(
    port: int, mode: str, count: int, per: int, conns: int, seconds: float, rate: float
) -> None:
    """Print the run's figures as JSON: requests, failed, seconds, latency p50/p99 (ms)."""
    bodies = _bodies(mode, count, per)
    out: list[Any] = []
    interval = conns / rate if rate else 0.0

    async def main() -> float:
        began = time.perf_counter()
        deadline = began + seconds
        shards = [bodies[k::conns] for k in range(conns)]
        await asyncio.gather(
            *(_connection(port, s, _CTYPES[mode], deadline, interval, out) for s in shards)
        )
        return time.perf_counter() - began

    elapsed = asyncio.run(main())
    latencies = sorted(x for _, _, ls in out for x in ls)
    result = {
        "requests": sum(o[0] for o in out), "failed": sum(o[1] for o in out), "seconds": elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
    }  # fmt: skip
    print(json.dumps(result))


def run_load(
    port: int, mode: str, count: int, per: int, conns: int, seconds: float, rate: float = 0.0
) -> dict[str, Any]:
    """Run the load generator in its own process (so it does not share our event loop or GIL)."""
    args = [PY, str(ROOT / "bench/ingest_bench.py"), "--load", str(port), mode, str(count)]
    args += [str(per), str(conns), str(seconds), str(rate)]
    env = {**os.environ, "INGEST_BENCH_KEY": BENCH_KEY}
    out = subprocess.run(args, capture_output=True, text=True, check=True, env=env, timeout=900)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))

"""Parts of bench/system_bench.py: lifecycle load, catch-up detection, CPU accounting, probes."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
BENCH_KEY = "bench-system-key-" + uuid.uuid4().hex
BATCH = 1000
STEPS = 5  # events per dossier lifecycle
LATE_EVERY = 50  # one dossier in 50 finishes late: 2 %
GROUP_TOPICS = {
    "sla": ("events",),
    "audit": ("events", "alerts"),
    "notify": ("alerts", "findings", "contacts", "events"),
}


def row(id_: str, what: str, figure: str, value: float, ratio: float | None, target: str,
        met: bool | None) -> dict[str, Any]:  # fmt: skip
    """One table row."""
    return {"id": id_, "what": what, "figure": figure, "value": value, "ratio": ratio,
            "target": target, "met": met}  # fmt: skip


def quiet_env() -> dict[str, dict[str, str]]:
    """Per-service environment: warnings only, and a bench source whose rate limit never binds."""
    from dunghan_common.settings import hash_secret

    source = {"id": "igate-quangtri", "key_hashes": [hash_secret(BENCH_KEY)],
              "rate_limit": {"events_per_s": 1e9, "burst": 10**9}}  # fmt: skip
    env = {s: {"DUNGHAN_LOG_LEVEL": "WARNING"} for s in ("ingest", "sla", "sync-audit", "notify")}
    env["ingest"]["DUNGHAN_INGEST_SOURCES"] = json.dumps([source])
    return env


# ---- load --------------------------------------------------------------------------------------
def lifecycle_batches(batches: int, run: str, size: int = BATCH) -> list[bytes]:
    """Batches of ``size`` events: whole dossier lifecycles (5 events each), in event-time order."""
    from dunghan_common.calendar import load_calendar
    from dunghan_common.events import EXAMPLES

    cal = load_calendar(ROOT / "config/calendar")
    tz = dt.timezone(dt.timedelta(hours=7))
    received = dt.datetime(2025, 9, 8, 9, tzinfo=tz)
    due = cal.due_at(cal.clock_start(received), 3, "working_days")
    on_time, late = due - dt.timedelta(hours=1), cal.add_working_days(due, 1)
    base = copy.deepcopy(EXAMPLES["dossier.received"])
    del base["data"]["due_at"]
    kinds = [
        "dossier.assigned",
        "dossier.result_ready",
        "portal.sync_succeeded",
        "dossier.returned",
    ]
    out, n = [], 0
    for _ in range(batches):
        events = []
        for _ in range(size // STEPS):
            code = f"000.00.12.H50-{run}-{n}"
            finish = late if n % LATE_EVERY == 0 else on_time
            times = [received, received + dt.timedelta(hours=1), finish, finish, finish]
            for step, (kind, at) in enumerate(
                zip(["dossier.received", *kinds], times, strict=True)
            ):
                e = copy.deepcopy(base if step == 0 else EXAMPLES[kind])
                e.update(id=f"{run}-{n}-{step}", subject=code, time=at.isoformat())
                if kind == "portal.sync_succeeded":
                    e["data"] = {"status_code": 9}
                events.append(e)
            n += 1
        out.append(orjson.dumps(events))
    return out


async def _connection(port: int, bodies: list[bytes], start: float, gap: float, key: str,
                      out: list[int]) -> None:  # fmt: skip
    """One keep-alive connection sending its bodies, each not before its turn; counts 202s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /v1/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/cloudevents-batch+json\r\n").encode()  # fmt: skip
    ok = failed = 0
    for i, body in enumerate(bodies):
        wait = start + i * gap - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        ok, failed = (ok + 1, failed) if status.split()[1] == b"202" else (ok, failed + 1)
    writer.close()
    out.extend([ok, failed])


def load(port: int, batches: int, conns: int, rate: float, key: str, size: int = BATCH) -> None:
    """Load generator process: post the batches (paced at ``rate`` events/s if > 0); print JSON."""
    bodies = lifecycle_batches(batches, uuid.uuid4().hex[:8], size)
    gap = conns * size / rate if rate > 0 else 0.0
    out: list[int] = []

    async def main() -> tuple[float, float]:
        began, wall = time.perf_counter(), time.time()
        shards = [bodies[k::conns] for k in range(conns)]
        await asyncio.gather(*(_connection(port, s, began, gap, key, out) for s in shards))
        return wall, time.perf_counter() - began

    wall, seconds = asyncio.run(main())
    print(json.dumps({"requests": sum(out[0::2]), "failed": sum(out[1::2]), "began": wall,
                      "seconds": seconds}))  # fmt: skip


async def run_load(
    port: int, batches: int, conns: int, rate: float, size: int = BATCH
) -> dict[str, Any]:
    """The load generator in its own process (it must not share our event loop or GIL)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench/system_bench.py"), "--load", str(port), str(batches),
        str(conns), str(rate), BENCH_KEY, str(size), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator exited {proc.returncode}")
    return dict(json.loads(stdout.decode().strip().splitlines()[-1]))


# ---- catch-up ----------------------------------------------------------------------------------
class Lag:
    """Whether every consumer group has committed the end of every topic it reads (one client)."""

    def __init__(self, system: Any) -> None:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        bootstrap = os.environ.get("DUNGHAN_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
        self.system = system
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
        )

    async def __aenter__(self) -> Lag:
        await self.admin.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def caught_up(self) -> bool:
        """True when no group has anything left to consume."""
        from aiokafka import TopicPartition

        topics = self.system.topics
        for group, roles in GROUP_TOPICS.items():
            committed = await self.admin.list_consumer_group_offsets(
                f"{self.system.prefix}.{group}"
            )
            tps = [
                TopicPartition(topics[r], p)
                for r in roles
                for p in sorted(self.consumer.partitions_for_topic(topics[r]) or ())
            ]
            ends = await self.consumer.end_offsets(tps)
            for tp in tps:
                done = committed.get(tp)
                if ends[tp] > (done.offset if done is not None else 0):
                    return False
        return True

    async def wait(self, timeout_s: float = 600) -> float:
        """Wall-clock time at which all groups were first seen caught up (and still were 1 s on)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            seen = time.time()
            if await self.caught_up():
                await asyncio.sleep(1.0)
                if await self.caught_up():
                    return seen
            await asyncio.sleep(0.1)
        raise TimeoutError("the consumers did not catch up")


# ---- CPU ---------------------------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime + stime in ticks) of a process, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def cpu_sample(system: Any) -> dict[str, dict[int, int]]:
    """CPU ticks per process of the broker, the database server and the four services."""
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit()
             if (s := _stat(int(p.name))) is not None}  # fmt: skip
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    services: set[int] = set()
    todo = [p.pid for p in system.procs.values()]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in services:
            services.add(pid)
            todo.extend(children.get(pid, []))
    dbs = list(system.databases.values())
    broker, database = set(), set()
    for pid in stats:
        cmd = _cmdline(pid)
        if "kafka.Kafka " in cmd:
            broker.add(pid)
        elif cmd.startswith("postgres") or "/bin/postgres" in cmd:
            client = "127.0.0.1(" in cmd or "[local]" in cmd
            if not client or any(db in cmd for db in dbs):
                database.add(pid)
    return {
        name: {pid: stats[pid][1] for pid in pids}
        for name, pids in (("broker", broker), ("database", database), ("services", services))
    }


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def machine_busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of all cores busy between two `machine_ticks` readings (0 to 1)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def cpu_seconds(
    before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]
) -> dict[str, float]:
    """CPU seconds per part between two samples (a process new in ``after`` counts whole)."""
    tick = os.sysconf("SC_CLK_TCK")
    return {part: sum(t - before[part].get(pid, 0) for pid, t in after[part].items()) / tick
            for part in after}  # fmt: skip


# ---- G8 ----------------------------------------------------------------------------------------
async def sustained(system: Any, batches: int, conns: int) -> dict[str, Any]:
    """Events posted as fast as ingest takes them, until every consumer has caught up."""
    async with Lag(system) as lag:
        await lag.wait()
        before = cpu_sample(system)
        got = await run_load(system.ports["ingest"], batches, conns, 0.0)
        end = await lag.wait()
        after = cpu_sample(system)
    events = got["requests"] * BATCH
    if got["failed"] or not events:
        raise RuntimeError(f"G8 load: {got}")
    cpu = cpu_seconds(before, after)
    split = {k: v * 1e6 / events for k, v in cpu.items()}
    return {"events": events, "rate": events / (end - got["began"]),
            "cpu_us_per_event": sum(split.values()), "cpu_split": split}  # fmt: skip


# ---- G8: sustained with G7 met ------------------------------------------------------------------
async def highest_fresh_rate(
    system: Any, start: float, bound_ms: float, seconds: float, every: float, steps: int
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Search the paced rate from ``start`` (doubling while it holds, then bisecting): the best
    run keeping probe p99 ≤ ``bound_ms`` and its pace (within 5 %), and every run tried."""
    low, high = 0.0, None
    rate = start
    best: dict[str, Any] | None = None
    tried = []
    for _ in range(steps):
        async with Lag(system) as lag:  # each run starts with every consumer caught up
            await lag.wait()
        run = await freshness(system, rate, seconds, every)
        tried.append(run)
        if run["p99_ms"] <= bound_ms and run["achieved"] >= 0.95 * rate:
            best, low = run, rate
        else:
            high = rate
        rate = rate * 2 if high is None else (low + high) / 2
    return best, tried


# ---- G7 ----------------------------------------------------------------------------------------
async def freshness(system: Any, rate: float, seconds: float, every: float) -> dict[str, Any]:
    """Probe latency 202 → sla row, under background lifecycle load paced at ``rate`` events/s."""
    import asyncpg
    import httpx
    from dunghan_common.events import EXAMPLES

    from tests import support

    dsn = support.sqlalchemy_url(system.databases["sla"]).replace("+asyncpg", "")
    size = 100  # small batches keep the background pace even
    batches = max(4, int(rate * seconds / size))
    background = asyncio.create_task(run_load(system.ports["ingest"], batches, 2, rate, size))
    pending: dict[str, float] = {}
    latencies: list[float] = []
    stop = asyncio.Event()

    async def poller() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            while not stop.is_set() or pending:
                if pending:
                    found = await conn.fetch(
                        "SELECT dossier_id FROM sla_dossiers WHERE dossier_id = ANY($1)",
                        list(pending),
                    )
                    now = time.perf_counter()
                    for r in found:
                        latencies.append((now - pending.pop(r["dossier_id"])) * 1000)
                await asyncio.sleep(0.002)
        finally:
            await conn.close()

    watcher = asyncio.create_task(poller())
    machine_before, parts_before, began = machine_ticks(), cpu_sample(system), time.perf_counter()
    probe = copy.deepcopy(EXAMPLES["dossier.received"])
    headers = {
        "Authorization": f"Bearer {BENCH_KEY}",
        "Content-Type": "application/cloudevents+json",
    }
    async with httpx.AsyncClient(base_url=system.url("ingest"), headers=headers) as client:
        await asyncio.sleep(min(1.0, seconds / 4))  # let the background load reach its pace
        while not background.done():
            code = f"000.00.12.H50-probe-{uuid.uuid4().hex[:10]}"
            probe.update(id=str(uuid.uuid4()), subject=code)
            answer = await client.post("/v1/events", content=orjson.dumps(probe))
            if answer.status_code == 202:
                pending[code] = time.perf_counter()
            await asyncio.sleep(every)
    got = await background
    elapsed = time.perf_counter() - began
    busy = machine_busy(machine_before, machine_ticks())
    cores = {k: v / elapsed for k, v in cpu_seconds(parts_before, cpu_sample(system)).items()}
    stop.set()
    await asyncio.wait_for(watcher, 120)
    if not latencies:
        raise RuntimeError("G7: no probe was measured")
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"probes": len(latencies), "p50_ms": statistics.median(latencies), "p99_ms": q[98],
            "rate": rate, "achieved": got["requests"] * size / got["seconds"],
            "machine_busy": busy, "cores": cores}  # fmt: skip

"""R2 (Kafka's consumer ceiling K_c) and R3 (Kafka's end-to-end floor L_k) with Kafka's own tools.

R2: ``org.apache.kafka.tools.ProducerPerformance`` fills a fresh topic exactly as R1 does (the
median serialised event's size, acks=all, idempotent, the partition count of ``dossier-events``),
then ``org.apache.kafka.tools.ConsumerPerformance`` reads it back; K_c is its fetch rate
(records/s, the group join excluded). R3: ``org.apache.kafka.tools.EndToEndLatency`` with
acks=all on a fresh one-partition topic (it sends one record and waits for it before the next).
R3 is measured only when no earlier module of the same run reported it (``run(smoke, prior)``).
Run ``uv run python bench/kafka_bench.py [--smoke]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from ingest_parts import common as ib  # noqa: E402 - the sibling scripts' shared helpers

STACK = str(ROOT / "deploy/local/stack.sh")
SIZES = {True: {"records": 5_000, "latency": 200}, False: {"records": 300_000, "latency": 5_000}}


def kafka_tool(*args: str, timeout_s: float = 900) -> str:
    """Run one of Kafka's Java tools with the stack's jars; its standard output."""
    done = subprocess.run(
        [STACK, "kafka-java", *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} exited {done.returncode}: {done.stderr[-800:]}")
    return done.stdout


def consumer_performance(topic: str, n: int) -> dict[str, float]:
    """ConsumerPerformance over ``n`` records: records/s with and without the group join."""
    out = kafka_tool(
        "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", ib.BOOTSTRAP,
        "--topic", topic, "--messages", str(n), "--timeout", "30000", "--hide-header",
        "--group", f"bench-r2-{uuid.uuid4().hex[:8]}",
    )  # fmt: skip
    # start, end, MB, MB/s, records, records/s, rebalance ms, fetch ms, fetch MB/s, fetch records/s
    fields = [f.strip() for f in out.strip().splitlines()[-1].split(",")]
    if len(fields) < 10:
        raise RuntimeError(f"ConsumerPerformance printed no summary: {out[-500:]}")
    return {
        "records": float(fields[4]),
        "overall": float(fields[5]),
        "rebalance_ms": float(fields[6]),
        "fetch": float(fields[9]),
    }


def end_to_end_latency(topic: str, n: int, size: int) -> dict[str, float]:
    """EndToEndLatency, acks=all: average, p50, p99 and p99.9 in ms (the tool prints whole ms)."""
    out = kafka_tool(
        "org.apache.kafka.tools.EndToEndLatency", ib.BOOTSTRAP, topic, str(n), "all", str(size)
    )
    avg = re.search(r"Avg latency: ([0-9.]+) ms", out)
    pct = re.search(r"50th = (\d+), 99th = (\d+), 99.9th = (\d+)", out)
    if avg is None or pct is None:
        raise RuntimeError(f"EndToEndLatency printed no summary: {out[-500:]}")
    return {
        "avg_ms": float(avg.group(1)),
        "p50_ms": float(pct.group(1)),
        "p99_ms": float(pct.group(2)),
        "p999_ms": float(pct.group(3)),
    }


def fill(topic: str, n: int, size: int) -> None:
    """Fill a topic exactly as R1 does: ProducerPerformance, acks=all, idempotent."""
    kafka_tool(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic", topic, "--num-records", str(n), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={ib.BOOTSTRAP}", "acks=all",
        "enable.idempotence=true",
    )  # fmt: skip


def _row(id_: str, what: str, figure: str, value: float, target: str) -> dict[str, Any]:
    return {"id": id_, "what": what, "figure": figure, "value": value, "ratio": None,
            "target": target, "met": None}  # fmt: skip


def record_size() -> int:
    """The median serialised event, as R1 uses."""
    return ib.median_size(ib.serialised(ib.make_events(220, uuid.uuid4().hex[:8])))


def r2_row(parts: int, size: int, n: int) -> dict[str, Any]:
    """Fill a fresh topic like R1, consume it with ConsumerPerformance."""
    topic = f"bench_r2_{uuid.uuid4().hex[:8]}"
    asyncio.run(ib.topics({topic: parts}, create=True))
    try:
        fill(topic, n, size)
        got = consumer_performance(topic, n)
    finally:
        asyncio.run(ib.topics({topic: parts}, create=False))
    figure = f"{got['fetch']:,.0f} records/s ({got['overall']:,.0f} with the group join)"
    what = f"Kafka ConsumerPerformance over {n:,} records of {size} B, {parts} partitions"
    return _row("R2", what, figure, got["fetch"], "reference K_c")


def r3_row(size: int, n: int) -> dict[str, Any]:
    """EndToEndLatency on a fresh one-partition topic."""
    topic = f"bench_r3_{uuid.uuid4().hex[:8]}"
    asyncio.run(ib.topics({topic: 1}, create=True))
    try:
        got = end_to_end_latency(topic, n, size)
    finally:
        asyncio.run(ib.topics({topic: 1}, create=False))
    row = _row(
        "R3", f"Kafka EndToEndLatency, acks=all, {n:,} records of {size} B, 1 partition",
        f"p50 {got['p50_ms']:.0f} ms, p99 {got['p99_ms']:.0f} ms (avg {got['avg_ms']:.2f} ms)",
        got["p99_ms"], "reference L_k (p99)",
    )  # fmt: skip
    row.update(got)
    return row


def run(smoke: bool, prior: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """R2, and R3 unless an earlier module of this run measured it."""
    size, sizes = record_size(), SIZES[smoke]
    parts = asyncio.run(ib.partitions_of("dossier-events"))
    rows = [r2_row(parts, size, sizes["records"])]
    if not any(r["id"] == "R3" for r in prior or []):
        rows.append(r3_row(size, sizes["latency"]))
    return rows


def main() -> None:
    """Script entry: print the rows as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    for row in run(parser.parse_args().smoke):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""G7 (freshness) and G8 (whole system) with the four services as processes (tests/e2e/system.py).

G8: a load generator process posts whole dossier lifecycles (received, assigned, result ready,
synced to the portal, returned; 2 % finished late, so alerts, attributions and letters flow too)
in batches of 1,000 as fast as ingest takes them. The rate is the events posted over the time
from the first request to the moment every consumer group (sla, sync-audit, notify) has
committed the end of every topic it reads. CPU: utime + stime from /proc/<pid>/stat over the same
window, of the Kafka broker, the PostgreSQL server processes (its auxiliary processes and the
backends of this system's databases) and the four service processes with their children.
G7: at half of G1's rate (the best G1 of the same run, else half of G8's rate), probe
`dossier.received` events are posted one per request; the latency is from the 202 to the moment
the row is in sla's projection (polled on its database), p99 against 10 × L_k p99 plus the
declared batch windows (the producer's ``linger_ms``). L_k is R3 of the same run; run alone, this
module measures R3 itself (bench/kafka_bench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import system_parts as parts  # noqa: E402 - a sibling module of this script

SIZES = {
    True: {"batches": 6, "conns": 2, "g7_s": 3.0, "probe_every_s": 0.1},
    False: {"batches": 300, "conns": 4, "g7_s": 20.0, "probe_every_s": 0.05},
}


def prior_figures(prior: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """L_k p99 (ms) from R3, and the best batched-ingest rate from G1, if reported before."""
    r3 = [r for r in prior if r["id"] == "R3"]
    g1 = [r["value"] for r in prior if r["id"] == "G1" and r.get("value")]
    l99 = float(r3[0].get("p99_ms", r3[0]["value"])) if r3 else None
    return l99, (max(g1) if g1 else None)


def run(smoke: bool, prior: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """G8 then G7 on one running system; rows with their ratios."""
    l99, g1 = prior_figures(prior or [])
    r3_note = "R3 of this run"
    if l99 is None:
        import kafka_bench

        l99 = float(kafka_bench.r3_row(kafka_bench.record_size(), 200 if smoke else 2_000)["value"])
        r3_note = "R3 measured by system_bench itself"
    return asyncio.run(measure(smoke, l99, g1, r3_note))


async def measure(smoke: bool, l99: float, g1: float | None, r3_note: str) -> list[dict[str, Any]]:
    """Start the system, run G8 and G7, stop it."""
    from tests.e2e.system import System

    size = SIZES[smoke]
    system = System(extra_env=parts.quiet_env(), tick_interval_s=1.0)
    await system.start()
    try:
        g8 = await parts.sustained(system, size["batches"], size["conns"])
        # Half load of the whole path: half of what it sustains end to end (G8), or of ingest
        # alone (G1) if that is lower; pacing above the system's capacity measures a backlog.
        rate = (
            (g1 / 2, "half of G1")
            if g1 and g1 < g8["rate"]
            else (g8["rate"] / 2, "half of G8's sustained rate")
        )
        g7 = await parts.freshness(system, rate[0], size["g7_s"], size["probe_every_s"])
        # Context, not the goal: the same probes with the machine nearly idle (1/20 of G8's rate)
        # give the path's own latency, apart from waiting for a CPU.
        light = await parts.freshness(
            system, g8["rate"] / 20, size["g7_s"] / 2, size["probe_every_s"]
        )
    finally:
        await system.stop()
    return rows(g8, g7, light, l99, rate, r3_note)


def _cpu_text(g7: dict[str, Any]) -> str:
    cores = ", ".join(f"{k} {v:.2f}" for k, v in g7["cores"].items())
    return f"machine {g7['machine_busy']:.0%} busy; cores used: {cores}"


def rows(
    g8: dict[str, Any],
    g7: dict[str, Any],
    light: dict[str, Any],
    l99: float,
    rate: tuple[float, str],
    r3_note: str,
) -> list[dict[str, Any]]:
    """The G7 and G8 rows."""
    from dunghan_common.settings import KafkaSettings

    window = KafkaSettings().linger_ms
    bound = 10 * l99 + window
    cpu = g8["cpu_us_per_event"]
    parts_text = ", ".join(f"{k} {v:.0f}" for k, v in g8["cpu_split"].items())
    return [
        parts.row(
            "G7", f"freshness: ingest 202 → sla projection committed, {g7['probes']} probes at "
            f"{g7['rate']:,.0f} events/s paced ({rate[1]}; {g7['achieved']:,.0f} achieved; "
            f"{_cpu_text(g7)}); ratio = p99 / bound; L_k from {r3_note}",
            f"p50 {g7['p50_ms']:.0f} ms, p99 {g7['p99_ms']:.0f} ms", g7["p99_ms"],
            g7["p99_ms"] / bound, f"≤ 10 × L_k p99 + {window} ms linger = {bound:.0f} ms",
            g7["p99_ms"] <= bound,
        ),
        parts.row(
            "G7", f"context, not the goal: the same probes at 1/20 of G8's rate "
            f"({light['achieved']:,.0f} events/s achieved; {_cpu_text(light)})",
            f"p50 {light['p50_ms']:.0f} ms, p99 {light['p99_ms']:.0f} ms", light["p99_ms"],
            light["p99_ms"] / bound, f"(bound of the goal: {bound:.0f} ms)", None,
        ),
        parts.row(
            "G8", f"whole system: {g8['events']:,} events end to end (all consumers caught up), "
            "four services as processes; ratio = rate / 10k",
            f"{g8['rate']:,.0f} events/s", g8["rate"], g8["rate"] / 10_000, "≥ 10k events/s",
            g8["rate"] >= 10_000,
        ),
        parts.row(
            "G8", f"whole system CPU per event (µs: {parts_text}); ratio = cost / 150 µs",
            f"{cpu:.0f} CPU-µs/event", cpu, cpu / 150, "≤ 150 µs per event", cpu <= 150,
        ),
    ]  # fmt: skip


def main() -> None:
    """Script entry: the benchmark, or its load generator process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--load", nargs=6, metavar=("PORT", "BATCHES", "CONNS", "RATE", "KEY", "N"))
    args = parser.parse_args()
    if args.load:
        port, batches, conns, rate, key, size = args.load
        parts.load(int(port), int(batches), int(conns), float(rate), key, int(size))
        return
    for row in run(args.smoke):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Benchmark driver: runs every ``bench/*_bench.py`` and prints one table of figures and ratios.

Each module exposes ``run(smoke: bool) -> list[dict]`` with rows ``{"id", "what", "figure",
"value", "ratio", "target", "met"}``. Modules run in a fixed order (``FIRST``, then the rest by
name); a module whose ``run`` takes a second parameter, ``prior``, receives the rows of the
modules before it, so a goal can be a ratio to another module's reference run of the same run
(G7 needs R3's p99 and G1's rate). ``--write FILE`` also writes the table with the machine,
the versions and the settings (BENCHMARKS.md). Nothing is asserted: this is a benchmark.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# References first, whole-system runs last (they read R3 and G1 from the rows before them).
FIRST = ["ingest", "kafka", "sla", "calendar", "sync_audit", "notify"]
LAST = ["system"]
ORDER = [
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R7",
    "G1",
    "G2",
    "G3",
    "G4",
    "G5",
    "G6",
    "G7",
    "G8",
    "G9",
    "G10",
    "G11",
]


def load(path: Path) -> Any:
    """Import a benchmark module by path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def collect(smoke: bool, only: list[str]) -> list[dict[str, Any]]:
    """Run each module; a module that fails yields one row saying so."""
    rows: list[dict[str, Any]] = []
    sys.path.insert(0, str(ROOT))
    for path in modules():
        if only and not any(o in path.stem for o in only):
            continue
        started = time.perf_counter()
        try:
            got = call(load(path).run, smoke, rows)
            rows.extend(got if isinstance(got, list) else calendar_rows(got))
        except Exception as exc:
            traceback.print_exc()
            rows.append(
                {
                    "id": "!!",
                    "what": f"{path.stem} failed",
                    "figure": repr(exc)[:80],
                    "ratio": None,
                    "target": "",
                    "met": False,
                }
            )
        print(f"# {path.stem}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return sorted(rows, key=lambda r: ORDER.index(r["id"]) if r["id"] in ORDER else 99)


def modules() -> list[Path]:
    """The benchmark modules in run order."""
    paths = {p.stem.removesuffix("_bench"): p for p in HERE.glob("*_bench.py")}
    middle = sorted(k for k in paths if k not in FIRST + LAST)
    return [paths[k] for k in FIRST + middle + LAST if k in paths]


def call(run: Any, smoke: bool, prior: list[dict[str, Any]]) -> Any:
    """``run(smoke)``, or ``run(smoke, prior=rows)`` when the module asks for the rows before it."""
    if "prior" in inspect.signature(run).parameters:
        return run(smoke, prior=[dict(r) for r in prior])
    return run(smoke)


def calendar_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the calendar benchmark, which reports a dict of its APIs."""
    out = []
    for key, label in (("epoch", "epoch-seconds API"), ("datetime_local", "datetime API")):
        f = figures[key]
        out.append(
            {
                "id": "G6",
                "what": f"calendar: N working days from t, {label}",
                "figure": f"{f['us_n1']:.2f} µs (N=1), {f['us_n250']:.2f} µs (N=250)",
                "value": f["us_n250"],
                "ratio": f["ratio"],
                "target": "cost(250)/cost(1) ≤ 1.5, ≤ 2 µs",
                "met": f["g6_met"],
            }
        )
    return out


def fmt_ratio(value: float | None) -> str:
    """Ratios to two decimals, or a dash."""
    return "-" if value is None else f"{value:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    """Render the rows as a Markdown table."""
    out = ["| id | what | figure | ratio | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "-"}[r.get("met")]
        out.append(
            f"| {r['id']} | {r['what']} | {r['figure']} | {fmt_ratio(r.get('ratio'))} | "
            f"{r.get('target', '')} | {met} |"
        )
    return "\n".join(out)


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def machine() -> str:
    """The machine, versions and settings the figures were measured with."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    kafka = (ROOT / "deploy/local/kafka/pom.xml").read_text().split("<kafka.version>")[1]
    lines = [
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} cores, {mem:.0f} GiB, {platform.platform()}",
        f"- Python {platform.python_version()}; {_version(['java', '-version'])}",
        f"- Kafka {kafka.split('<')[0]} (KRaft, one combined node, local stack); "
        f"{_version(['psql', '--version'])} (server: the project's own cluster)",
        "- everything co-located on this machine: broker, database, services, load generators",
    ]
    return "\n".join(lines)


READING = """## Reading the figures

- **Processes.** Ingest runs as 1 process by default (`DUNGHAN_INGEST_WORKERS`); the 2-process
  rows show what a second process buys on this 2-core machine, where the broker, the database
  and the load generator need the second core too. They are compared with R5 of 2 processes.
- **G8 is the sustained rate with G7 met.** Paced runs of lifecycle traffic on a fresh system
  (a starting rate doubled while it holds, then bisected); the highest whose freshness probes
  keep their p99 within G7's bound is G8, and its CPU per event is the CPU of that run. The
  catch-up row beside it (everything posted at once, then consumed in large batches) is
  context: large batches cost less per event than a steady flow.
- **Declared batch windows** in G7's bound are the services' defaults on the probed path:
  ingest's producer linger and sla's consumer batch window (`DUNGHAN_SLA_BATCH_WINDOW_MS`).
- The machine is shared and its speed varies from run to run; the references (R rows) move with
  it, which is why every goal is a ratio to a reference of the same run.
"""


def main() -> int:
    """Parse arguments, run, print, optionally write."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds-long run (CI)")
    parser.add_argument("--write", type=Path, help="write the report to this file")
    parser.add_argument("--only", nargs="*", default=[], help="module name fragments to run")
    args = parser.parse_args()
    rows = collect(args.smoke, args.only)
    rendered = table(rows)
    print(rendered)
    if args.write:
        body = (
            "# Benchmarks\n\nWritten by `make bench` (bench/run.py). Every goal is a ratio to a "
            "reference run on the same machine in the same run (docs/performance.md).\n\n"
            f"## Machine and versions\n\n{machine()}\n\n## Figures\n\n{rendered}\n\n{READING}"
        )
        args.write.write_text(body)
    failed = [r for r in rows if r["id"] == "!!"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""G6 benchmark: the cost of "N working days from t" must not grow with N (≤ 1.5×, ≤ 2 µs).

Run ``uv run python bench/calendar_bench.py [--smoke]``; a benchmark driver imports ``run``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dunghan_common.calendar import BusinessCalendar, load_calendar

OVERRIDES = Path(__file__).resolve().parents[1] / "config" / "calendar"
RATIO_TARGET = 1.5
MICROS_TARGET = 2.0
NS = (1, 250)


def _starts(cal: BusinessCalendar, count: int) -> list[int]:
    """Clock starts spread over 2025–2027, fixed seed so runs compare."""
    rng = random.Random(6)
    low = int(dt.datetime(2025, 1, 1, tzinfo=cal.tz).timestamp())
    return [cal.clock_start_epoch(low + rng.randrange(3 * 365 * 86_400)) for _ in range(count)]


def _per_call(call: Callable[[Any, int], Any], starts: list[Any], n: int, repeat: int) -> float:
    """Best-of-``repeat`` µs per call over all ``starts`` (the loop overhead included)."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for t in starts:
            call(t, n)
        best = min(best, time.perf_counter() - began)
    return best / len(starts) * 1e6


def _measure(call: Callable[[Any, int], Any], starts: list[Any], repeat: int) -> dict[str, Any]:
    """µs per call for each N, their ratio and whether G6 holds."""
    micros = {n: _per_call(call, starts, n, repeat) for n in NS}
    ratio = micros[NS[-1]] / micros[NS[0]]
    met = ratio <= RATIO_TARGET and max(micros.values()) <= MICROS_TARGET
    return {"us_n1": micros[1], "us_n250": micros[250], "ratio": ratio, "g6_met": met}


def run(smoke: bool) -> dict[str, Any]:
    """Build the calendar, time both APIs and return the figures (the epoch API is G6's figure)."""
    began = time.perf_counter()
    cal = load_calendar(OVERRIDES)
    build_s = time.perf_counter() - began
    starts = _starts(cal, 2_000 if smoke else 20_000)
    repeat = 3 if smoke else 7
    local = [dt.datetime.fromtimestamp(t, cal.tz) for t in starts]
    utc = [dt.datetime.fromtimestamp(t, dt.UTC) for t in starts]
    return {
        "goal": "G6",
        "smoke": smoke,
        "calls_per_sample": len(starts),
        "build_seconds": build_s,
        "epoch": _measure(cal.add_working_days_epoch, starts, repeat),
        "datetime_local": _measure(cal.add_working_days, local, repeat),
        "datetime_utc": _measure(cal.add_working_days, utc, repeat),
        "targets": {"ratio": RATIO_TARGET, "us_per_call": MICROS_TARGET},
    }


def render(figures: dict[str, Any]) -> str:
    """The figures as a small plain-text table."""
    lines = [
        f"G6 calendar: N working days from t (calendar built in {figures['build_seconds']:.2f} s)",
        f"{'API':<26}{'µs N=1':>9}{'µs N=250':>10}{'ratio':>8}  G6 (≤1.5, ≤2 µs)",
    ]
    for key, label in (
        ("epoch", "epoch int (G6 figure)"),
        ("datetime_local", "datetime, +07:00 input"),
        ("datetime_utc", "datetime, UTC input"),
    ):
        row = figures[key]
        verdict = "met" if row["g6_met"] else "NOT met"
        lines.append(
            f"{label:<26}{row['us_n1']:>9.3f}{row['us_n250']:>10.3f}{row['ratio']:>8.3f}  {verdict}"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a one-second run for CI")
    args = parser.parse_args()
    print(render(run(smoke=args.smoke)))


if __name__ == "__main__":
    main()

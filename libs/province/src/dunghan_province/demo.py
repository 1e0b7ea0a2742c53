"""What `make run` shows once the services are up: a sample month replayed, then the summary.

Generate a small seeded month (the previous calendar month, observed now), replay it to ingest,
wait (bounded) until sla has projected every reception and the attributions, escalations and
letters stop changing, then print where each service answers and the terminal summary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import httpx
from dunghan_common.units import load_units

from dunghan_province.api import Endpoints, ProvinceApi
from dunghan_province.dvcqg import replay_portal
from dunghan_province.month import MonthSpec
from dunghan_province.replay import ReplayTarget, replay_file
from dunghan_province.sample import (
    calendar,
    portal_index_path,
    previous_month,
    stragglers_path,
    write_sample,
)
from dunghan_province.targets import load_targets
from dunghan_province.timefmt import epoch
from dunghan_province.views import collect, render_summary

DEMO_VOLUME: Final = 2000
STABLE_POLLS: Final = 3


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The demo's knobs: sample size and seed, where files go, how long to wait."""

    volume: int = DEMO_VOLUME
    seed: int = 8
    out_dir: Path = Path(".stack/sample")
    calendar_dir: Path = Path("config/calendar")
    targets_dir: Path = Path("config/targets")
    settle_s: float = 60.0
    poll_s: float = 2.0
    #: sla's quiet period (``DUNGHAN_SLA_QUIET_S``, default 30 s): a replayed month's breaches
    #: fire only that long after each dossier's latest event, so counts are not still before.
    quiet_s: float = 30.0
    endpoints: Endpoints = field(default_factory=Endpoints)
    #: ``cloudevents`` (``POST /v1/events``) or ``dvcqg``: the portal's own format (docs/dvcqg.md).
    sample_format: Literal["cloudevents", "dvcqg"] = "cloudevents"
    units_path: Path = Path("config/units.toml")


def demo_spec(options: DemoOptions, now: dt.datetime) -> MonthSpec:
    """Last month, observed at the start of the current hour (so reruns within it are identical)."""
    year, month = previous_month(now)
    as_of = epoch(now.replace(minute=0, second=0, microsecond=0))
    return MonthSpec(year, month, as_of, volume=options.volume, seed=options.seed)


async def demo(options: DemoOptions) -> None:
    """Generate, replay, settle, print the URLs and the summary."""
    spec = demo_spec(options, dt.datetime.now(dt.UTC))
    path = options.out_dir / f"quangtri-{spec.period}-seed{spec.seed}-{spec.volume}.ndjson"
    stats = write_sample(spec, calendar(options.calendar_dir), path)
    print(
        f"sample: {stats['dossiers']} dossiers of {spec.period}, {stats['events']} events → {path}",
        flush=True,
    )
    async with httpx.AsyncClient(timeout=60) as client:
        target = ReplayTarget(url=options.endpoints.ingest, order="dossier")
        if options.sample_format == "dvcqg":
            units = load_units(options.units_path).units
            names = {u.code: u.name for u in units}
            result = await replay_portal(path, names, target, client)
        else:
            result = await replay_file(path, target, client)
        print(
            f"replayed to ingest ({options.sample_format}) in {result.seconds:.1f} s: "
            f"{result.accepted} accepted, "
            f"{result.duplicates} duplicates, {result.requests} requests, {result.retries} retries",
            flush=True,
        )
        api = ProvinceApi(options.endpoints, client)
        await settle(api, spec.period, int(stats["received"]), options)
        late = stragglers_path(path)
        if late.stat().st_size:
            result = await replay_file(late, target, client)
            print(
                f"stragglers (events the source sent days late): {result.accepted} accepted",
                flush=True,
            )
            await settle(api, spec.period, int(stats["received"]), options)
        await put_portal_index(api, spec.period, portal_index_path(path))
        targets = load_targets(options.targets_dir, spec.year)
        print(render_summary(await collect(api, spec.period, targets)), flush=True)
        print(urls(options.endpoints), flush=True)


async def put_portal_index(api: ProvinceApi, period: str, path: Path) -> None:
    """Give sync-audit the portal's index answer of the month, as the portal would return it."""
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    stored = await api.put_portal_index(period, json.loads(text))
    print(
        f"portal index answer of {period} stored in sync-audit: {stored['matched']} of "
        f"{stored['departments']} departments matched to units ({path})",
        flush=True,
    )


async def settle(api: ProvinceApi, period: str, expected: int, options: DemoOptions) -> bool:
    """Wait until sla projected `expected` receptions and the downstream counts hold still,
    and sla's quiet period after the last event has passed (its breaches fire only then)."""
    started = time.monotonic()
    deadline = started + options.settle_s + options.quiet_s
    quiet_end = started + options.quiet_s + options.poll_s
    last: tuple[int, ...] | None = None
    stable = 0
    while time.monotonic() < deadline:
        counts = await _counts(api, period)
        stable = stable + 1 if counts == last and counts[0] >= expected else 0
        last = counts
        print(
            f"  waiting: sla projected {counts[0]}/{expected} receptions, {counts[1]} overdue, "
            f"{counts[2]} escalations, {counts[3]} apology notifications",
            flush=True,
        )
        if stable >= STABLE_POLLS and time.monotonic() >= quiet_end:
            return True
        await asyncio.sleep(options.poll_s)
    print(f"  still settling after {options.settle_s:.0f} s: the summary shows the state so far")
    return False


async def _counts(api: ProvinceApi, period: str) -> tuple[int, ...]:
    """Received and overdue (sla), escalations (sync-audit), apologies (notify)."""
    kpis, escalations, apologies = await asyncio.gather(
        api.kpis(period), api.escalations(), api.notifications("apology")
    )
    province = kpis.get("province") or {}
    received = int(province.get("received") or 0)
    return received, int(province.get("open_overdue") or 0), len(escalations), len(apologies)


def urls(endpoints: Endpoints) -> str:
    """Where each service's API, docs and metrics are."""
    lines = ["", "Services (Ctrl-C stops them):"]
    for name, base in endpoints.services().items():
        lines.append(f"  {name:<11} API {base}/v1   docs {base}/docs   metrics {base}/metrics")
    lines.append(f"  query token: Bearer {endpoints.token}   (development only)")
    return "\n".join(lines)

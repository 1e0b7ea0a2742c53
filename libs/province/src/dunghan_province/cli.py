"""`python -m dunghan_province generate|replay|summary|report|demo`: the sample's commands."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

import httpx

from dunghan_province.api import DEV_OPS_TOKEN, Endpoints, ProvinceApi
from dunghan_province.demo import DEMO_VOLUME, DemoOptions, demo
from dunghan_province.document import OFFICE, monthly_report
from dunghan_province.month import DEFAULT_SOURCE, MonthSpec
from dunghan_province.pdf import write_pdf
from dunghan_province.replay import DEV_INGEST_KEY, ReplayTarget, replay_file
from dunghan_province.report import render_report
from dunghan_province.sample import calendar, parse_month, previous_month, write_sample
from dunghan_province.targets import load_targets
from dunghan_province.timefmt import epoch
from dunghan_province.views import collect, collect_report, render_summary
from dunghan_province.workbook import write_workbook


def _month(text: str | None) -> tuple[int, int]:
    return parse_month(text) if text else previous_month(dt.datetime.now(dt.UTC))


def _as_of(text: str | None) -> int:
    moment = dt.datetime.fromisoformat(text) if text else dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise SystemExit("--as-of needs a UTC offset, e.g. 2026-11-26T08:00:00+07:00")
    return epoch(moment)


def cmd_generate(args: argparse.Namespace) -> None:
    """Write a month of events as NDJSON."""
    year, month = _month(args.month)
    spec = MonthSpec(year, month, _as_of(args.as_of), args.volume, args.seed, args.source)
    out = args.out or Path(
        f".stack/sample/quangtri-{spec.period}-seed{spec.seed}-{spec.volume}.ndjson"
    )
    stats = write_sample(spec, calendar(args.calendar_dir), out)
    print(
        f"{stats['dossiers']} dossiers, {stats['events']} events → {out} "
        f"(tallies in {out.name}.stats.json)"
    )


def cmd_replay(args: argparse.Namespace) -> None:
    """Push an NDJSON file to ingest."""
    target = ReplayTarget(
        args.url,
        args.key,
        args.signing_secret,
        args.batch_size,
        args.concurrency,
        order=args.order,
    )

    async def go() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            r = await replay_file(args.file, target, client)
        print(
            f"{r.accepted} accepted, {r.duplicates} duplicates in {r.requests} requests "
            f"({r.retries} retries), {r.seconds:.1f} s"
        )

    asyncio.run(go())


def _snapshot_printer(args: argparse.Namespace, report: bool) -> None:
    year, month = _month(args.period)
    period = f"{year:04d}-{month:02d}"
    endpoints = Endpoints(
        args.ingest_url, args.sla_url, args.audit_url, args.notify_url, args.token
    )

    async def go() -> None:
        targets = load_targets(args.targets_dir, year)
        async with httpx.AsyncClient(timeout=60) as client:
            api = ProvinceApi(endpoints, client)
            if not report:
                print(render_summary(await collect(api, period, targets)))
                return
            snap = await collect_report(api, period, targets, dt.datetime.now(dt.UTC))
        print(render_report(snap, limit=args.rows))
        document = monthly_report(snap, args.office)
        out = args.out or Path(f".stack/reports/bao-cao-{period}.xlsx")
        print(f"\nworkbook: {write_workbook(document, out)}")
        print(f"PDF:      {write_pdf(document, out.with_suffix('.pdf'))}")

    asyncio.run(go())


def _api_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", help="YYYY-MM (default: the previous month)")
    p.add_argument("--ingest-url", default=Endpoints().ingest)
    p.add_argument("--sla-url", default=Endpoints().sla)
    p.add_argument("--audit-url", default=Endpoints().audit)
    p.add_argument("--notify-url", default=Endpoints().notify)
    p.add_argument("--token", default=DEV_OPS_TOKEN, help="ops token of the query APIs")
    p.add_argument("--targets-dir", type=Path, default=Path("config/targets"))


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m dunghan_province", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write a month of NDJSON CloudEvents")
    g.add_argument("--month", help="YYYY-MM (default: the previous month)")
    g.add_argument("--volume", type=int, default=100_000, help="dossiers in the month")
    g.add_argument("--seed", type=int, default=8)
    g.add_argument("--as-of", help="RFC 3339 moment the sample is observed at (default: now)")
    g.add_argument("--source", default=DEFAULT_SOURCE)
    g.add_argument("--out", type=Path)
    g.add_argument("--calendar-dir", type=Path, default=Path("config/calendar"))
    g.set_defaults(run=cmd_generate)
    r = sub.add_parser("replay", help="push an NDJSON file to ingest")
    r.add_argument("file", type=Path)
    r.add_argument("--url", default=ReplayTarget().url)
    r.add_argument("--key", default=DEV_INGEST_KEY)
    r.add_argument("--signing-secret", default=None)
    r.add_argument("--batch-size", type=int, default=1000)
    r.add_argument("--concurrency", type=int, default=4)
    r.add_argument(
        "--order",
        choices=("time", "dossier"),
        default="time",
        help="time: as the source sent them; dossier: each dossier whole (loading history)",
    )
    r.set_defaults(run=cmd_replay)
    s = sub.add_parser("summary", help="terminal summary from the running services")
    _api_options(s)
    s.set_defaults(run=lambda a: _snapshot_printer(a, report=False))
    m = sub.add_parser("report", help="monthly report per unit: terminal table, workbook and PDF")
    _api_options(m)
    m.add_argument(
        "--out",
        type=Path,
        help="workbook path (default .stack/reports/bao-cao-<period>.xlsx); the PDF beside it",
    )
    m.add_argument("--office", default=OFFICE, help="the issuing office on the cover")
    m.add_argument(
        "--rows", type=int, default=None, help="units shown in the terminal (default all)"
    )
    m.set_defaults(run=lambda a: _snapshot_printer(a, report=True))
    d = sub.add_parser("demo", help="generate, replay, wait and summarise (what `make run` shows)")
    d.add_argument("--volume", type=int, default=DEMO_VOLUME)
    d.add_argument("--seed", type=int, default=8)
    d.add_argument("--settle-s", type=float, default=60.0)
    d.set_defaults(
        run=lambda a: asyncio.run(demo(DemoOptions(a.volume, a.seed, settle_s=a.settle_s)))
    )
    return top


def main(argv: list[str] | None = None) -> None:
    """Parse and run one command."""
    args = parser().parse_args(argv)
    args.run(args)

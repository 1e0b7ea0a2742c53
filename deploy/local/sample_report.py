"""The monthly report of a replayed sample, written to docs/reports/ for review.

    uv run python deploy/local/sample_report.py [--volume 600] [--out docs/reports]

Starts the four services as processes on fresh topics and databases of the running stack
(tests/e2e/system.py), replays six months of the sample province (the last one is last month),
then writes the report of last month twice: through the CLI's path (the four APIs) and through
sla's `GET /v1/reports/{period}`, and renders the PDF's pages to PNG with pdftoppm.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dunghan_common.calendar import load_calendar  # noqa: E402
from dunghan_province.api import Endpoints, ProvinceApi  # noqa: E402
from dunghan_province.demo import DemoOptions, settle  # noqa: E402
from dunghan_province.document import monthly_report  # noqa: E402
from dunghan_province.month import MonthSpec, SampleMonth  # noqa: E402
from dunghan_province.pdf import write_pdf  # noqa: E402
from dunghan_province.replay import ReplayTarget, replay_file  # noqa: E402
from dunghan_province.sample import previous_month  # noqa: E402
from dunghan_province.targets import load_targets  # noqa: E402
from dunghan_province.timefmt import previous_periods  # noqa: E402
from dunghan_province.views import collect_report  # noqa: E402
from dunghan_province.workbook import write_workbook  # noqa: E402

from tests.e2e.system import System  # noqa: E402


async def replay_months(
    system: System, client: httpx.AsyncClient, api: ProvinceApi, period: str, volume: int
) -> None:
    """Generate and replay the six months up to `period`, each settled before the next."""
    now = int(dt.datetime.now(dt.UTC).timestamp()) - 60
    calendar = load_calendar(ROOT / "config/calendar")
    target = ReplayTarget(url=system.url("ingest"), batch_size=1000, order="dossier")
    for month in previous_periods(period, 6):
        spec = MonthSpec(int(month[:4]), int(month[5:7]), now, volume=volume, seed=8)
        sample = SampleMonth(spec, calendar, fates={})
        path = ROOT / ".stack" / "sample" / f"report-{month}-{volume}.ndjson"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in sample.events()))
        done = await replay_file(path, target, client)
        options = DemoOptions(settle_s=180, poll_s=2, endpoints=api.endpoints)
        settled = await settle(api, month, sample.stats["received"], options)
        print(f"{month}: {done.accepted} events, {'settled' if settled else 'NOT settled'}")


async def write_report(volume: int, out: Path) -> Path:
    """Replay, then write the report both ways; the PDF's path."""
    system = System()
    await system.start()
    try:
        year, month = previous_month(dt.datetime.now(dt.UTC))
        period = f"{year:04d}-{month:02d}"
        urls = [system.url(s) for s in ("ingest", "sla", "sync-audit", "notify")]
        async with httpx.AsyncClient(timeout=120) as client:
            api = ProvinceApi(Endpoints(*urls), client)
            await replay_months(system, client, api, period, volume)
            await asyncio.sleep(20)  # the last attributions and escalations
            targets = load_targets(ROOT / "config/targets", year)
            snap = await collect_report(api, period, targets, dt.datetime.now(dt.UTC))
            document = monthly_report(snap)
            pdf = write_pdf(document, out / f"bao-cao-{period}.pdf")
            print(write_workbook(document, out / f"bao-cao-{period}.xlsx"), pdf)
            for fmt in ("xlsx", "pdf"):
                answer = await client.get(
                    f"{system.url('sla')}/v1/reports/{period}",
                    params={"format": fmt},
                    headers={"Authorization": "Bearer dev-ops-token"},
                )
                print(
                    f"sla GET /v1/reports/{period}?format={fmt}: {answer.status_code}, "
                    f"{len(answer.content)} bytes, {answer.headers.get('content-type')}"
                )
    finally:
        await system.stop()
    return pdf


def render_pages(pdf: Path) -> None:
    """The PDF's pages as PNG beside it (pdftoppm, from poppler-utils)."""
    for old in pdf.parent.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    command = ["/usr/bin/pdftoppm", "-r", "80", "-png", str(pdf), str(pdf.with_suffix(""))]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed command on our own file


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volume", type=int, default=600, help="dossiers per month")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reports")
    args = parser.parse_args()
    render_pages(asyncio.run(write_report(args.volume, args.out)))

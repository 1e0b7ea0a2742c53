"""``python -m ingest backfill``: push an NDJSON or CSV export through ``POST /v1/events``.

Batches of at most 1,000 events go through the same HTTP path as live traffic. After each 202 the
number of records done is written to a checkpoint file (``<FILE>.checkpoint`` by default), so an
interrupted run resumes after the last acknowledged batch; resending is safe anyway (duplicates).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import httpx
import orjson
from tqdm import tqdm

from ingest.domain.exports import csv_row_to_event

_RETRYABLE = {429, 503}


class BackfillError(RuntimeError):
    """The API refused a batch for a reason resending cannot fix."""


@dataclass(frozen=True)
class BackfillOptions:
    """What to push, where, as whom."""

    file: Path
    fmt: str
    url: str
    key: str
    source: str
    batch_size: int = 1_000
    checkpoint: Path | None = None
    max_attempts: int = 20

    @property
    def checkpoint_path(self) -> Path:
        """Where progress is kept."""
        return self.checkpoint or self.file.with_name(self.file.name + ".checkpoint")


def parse_args(argv: list[str]) -> BackfillOptions:
    """Parse the command line."""
    p = argparse.ArgumentParser(prog="python -m ingest backfill", description=__doc__)
    p.add_argument("file", type=Path)
    p.add_argument("--format", choices=["ndjson", "csv"], default=None)
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--key", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--batch-size", type=int, default=1_000)
    p.add_argument("--checkpoint", type=Path, default=None)
    a = p.parse_args(argv)
    fmt = a.format or ("csv" if a.file.suffix.lower() == ".csv" else "ndjson")
    size = max(1, min(a.batch_size, 1_000))
    return BackfillOptions(a.file, fmt, a.url, a.key, a.source, size, a.checkpoint)


def read_events(path: Path, fmt: str, source: str) -> Iterator[dict[str, object]]:
    """The events of an export, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        if fmt == "csv":
            for row in csv.DictReader(handle):
                yield csv_row_to_event(row, source)
            return
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def load_checkpoint(path: Path) -> int:
    """Records already acknowledged by an earlier run."""
    return int(path.read_text().strip() or 0) if path.exists() else 0


def save_checkpoint(path: Path, done: int) -> None:
    """Record progress atomically (write then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(str(done))
    tmp.replace(path)


async def post_batch(
    client: httpx.AsyncClient, opts: BackfillOptions, batch: Sequence[object]
) -> None:
    """Send one batch until it earns a 202; wait ``Retry-After`` on 429 and 503."""
    body = b"\n".join(orjson.dumps(e) for e in batch)
    headers = {"Authorization": f"Bearer {opts.key}", "Content-Type": "application/x-ndjson"}
    for _ in range(opts.max_attempts):
        try:
            response = await client.post("/v1/events", content=body, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(2)
            continue
        if response.status_code == 202:
            return
        if response.status_code not in _RETRYABLE:
            raise BackfillError(f"HTTP {response.status_code}: {response.text[:2000]}")
        await asyncio.sleep(float(response.headers.get("retry-after", "2")))
    raise BackfillError(f"gave up after {opts.max_attempts} attempts")


async def backfill(opts: BackfillOptions, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Push the export from its checkpoint on; return the records done in total."""
    done = load_checkpoint(opts.checkpoint_path)
    events = islice(read_events(opts.file, opts.fmt, opts.source), done, None)
    async with httpx.AsyncClient(base_url=opts.url, timeout=60, transport=transport) as client:
        with tqdm(initial=done, unit="event", desc=opts.file.name) as bar:
            while batch := list(islice(events, opts.batch_size)):
                await post_batch(client, opts, batch)
                done += len(batch)
                save_checkpoint(opts.checkpoint_path, done)
                bar.update(len(batch))
    return done


async def run_cli(argv: list[str]) -> None:
    """The command's body."""
    opts = parse_args(argv)
    total = await backfill(opts)
    print(f"backfill complete: {total} records (checkpoint {opts.checkpoint_path})")

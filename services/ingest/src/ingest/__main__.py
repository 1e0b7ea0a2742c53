"""Entry points: ``python -m ingest {api|run|migrate|prune|backfill}``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from dunghan_common.db.migrations import upgrade
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal

from ingest.adapters.serving import (
    bind,
    inherited_socket,
    serve_socket,
    spawn_workers,
    stop_workers,
)
from ingest.bootstrap import build
from ingest.settings import IngestSettings


async def api() -> None:
    """Serve ``POST /v1/events`` (in ``workers`` processes); the first one prunes the ledger."""
    settings = IngestSettings()
    configure_logging(settings.service_name, settings.log_level)
    sock = inherited_socket()
    first = sock is None
    workers = []
    if sock is None:
        sock, *theirs = bind(settings.http_host, settings.http_port, settings.api.workers)
        workers = spawn_workers(theirs)
    service = build(settings)
    await service.start()
    try:
        tasks = [serve_socket(service.asgi, sock)]
        if first:
            tasks.append(service.prune_forever())
        await run_until_signal(*tasks)
    finally:
        await service.stop()
        stop_workers(workers)


async def migrate() -> None:
    """Bring the database to the latest schema."""
    settings = IngestSettings()
    # Alembic's env.py runs its own event loop: keep it off this one.
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def prune() -> None:
    """Prune the duplicate ledger once (the api role also does it periodically)."""
    service = build(IngestSettings())
    try:
        print(f"removed {await service.prune.execute()} accepted pairs")
    finally:
        await service.stop()


async def backfill() -> None:
    """Push an NDJSON or CSV export through the HTTP API (see ``backfill --help``)."""
    from ingest.adapters.backfill import run_cli

    await run_cli(sys.argv[2:])


if __name__ == "__main__":
    # Ingest has no consumer and no outbox: `run` is the API (with its pruning loop).
    main({"api": api, "run": api, "migrate": migrate, "prune": prune, "backfill": backfill})

"""``python -m sla <role>``: api, consume, tick, relay, migrate, or run (all in one process)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from dunghan_common.db.migrations import upgrade
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http

from sla.bootstrap import Sla
from sla.settings import SlaSettings


@contextlib.asynccontextmanager
async def _service() -> AsyncIterator[Sla]:
    settings = SlaSettings()
    configure_logging(settings.service_name, settings.log_level)
    sla = Sla(settings)
    await sla.start()
    try:
        yield sla
    finally:
        await sla.stop()


def _http(sla: Sla) -> object:
    return serve_http(sla.app(), sla.settings.http_host, sla.settings.http_port)


async def _consume_loop(sla: Sla) -> None:
    consumer = sla.consumer(sla.projector())
    await consumer.start()
    try:
        await consumer.run()
    finally:
        await consumer.stop()


async def api() -> None:
    """Serve the query API."""
    async with _service() as sla:
        await run_until_signal(_http(sla), sla.gauges_forever())  # type: ignore[arg-type]


async def consume() -> None:
    """Project `dossier-events`."""
    async with _service() as sla:
        await run_until_signal(_consume_loop(sla))


async def tick() -> None:
    """Fire due timers (any number of replicas)."""
    async with _service() as sla:
        await run_until_signal(sla.tick_forever())


async def relay() -> None:
    """Relay the outbox to `sla-alerts`."""
    async with _service() as sla:
        await run_until_signal(sla.relay().run())


async def migrate() -> None:
    """Bring the database schema up to date."""
    settings = SlaSettings()
    # Alembic's env runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def run() -> None:
    """Every role in one process (the local stack)."""
    async with _service() as sla:
        await run_until_signal(
            _http(sla),  # type: ignore[arg-type]
            _consume_loop(sla),
            sla.tick_forever(),
            sla.relay().run(),
            sla.gauges_forever(),
        )


if __name__ == "__main__":
    main(
        {
            "api": api,
            "consume": consume,
            "tick": tick,
            "relay": relay,
            "migrate": migrate,
            "run": run,
        }
    )

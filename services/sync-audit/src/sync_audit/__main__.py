"""Entry points: ``python -m sync_audit {api|consume|relay|migrate|run}``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dunghan_common.db.migrations import upgrade
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http

from sync_audit.bootstrap import (
    Container,
    build,
    build_app,
    build_consumer,
    build_relay,
    reconcile_forever,
)
from sync_audit.settings import SyncAuditSettings


def _container() -> Container:
    settings = SyncAuditSettings()
    configure_logging(settings.service_name, settings.log_level)
    return build(settings)


async def _api(c: Container) -> None:
    await serve_http(build_app(c), c.settings.http_host, c.settings.http_port)


async def _consume(c: Container) -> None:
    consumer = build_consumer(c)
    await consumer.start()
    try:
        await asyncio.gather(consumer.run(), reconcile_forever(c))
    finally:
        await consumer.stop()


async def _relay(c: Container) -> None:
    relay = build_relay(c)
    try:
        await relay.run()
    finally:
        relay.stop()


async def _with(roles: list[str]) -> None:
    """Run the given roles in one process, sharing one engine and one publisher."""
    c = _container()
    await c.publisher.start()
    parts = {"api": _api, "consume": _consume, "relay": _relay}
    try:
        await run_until_signal(*(parts[r](c) for r in roles))
    finally:
        await c.publisher.stop()
        await c.engine.dispose()


async def api() -> None:
    """Serve the HTTP API."""
    await _with(["api"])


async def consume() -> None:
    """Consume `dossier-events` and `sla-alerts`, and run the reconciliation tick."""
    await _with(["consume"])


async def relay() -> None:
    """Relay the outbox to `audit-findings`."""
    await _with(["relay"])


async def run() -> None:
    """Every role in one process."""
    await _with(["api", "consume", "relay"])


async def migrate() -> None:
    """Bring the database schema to the latest revision."""
    settings = SyncAuditSettings()
    configure_logging(settings.service_name, settings.log_level)
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


if __name__ == "__main__":
    main({"api": api, "consume": consume, "relay": relay, "migrate": migrate, "run": run})

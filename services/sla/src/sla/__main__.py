"""``python -m sla <role>``: api, consume, tick, relay, migrate, replay-dead-letters, or run.

``run`` is every long-running role in one process; ``replay-dead-letters`` re-applies the
consumer's dead letters after a fix and exits.

Every worker role (consume, tick, relay) also serves the operations app on the HTTP port:
``/healthz``, ``/readyz`` and ``/metrics``, so Kubernetes probes it and Prometheus scrapes it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from dunghan_common.db import ping
from dunghan_common.db.migrations import upgrade
from dunghan_common.kafka.replay import print_and_exit, replay_dead_letters
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http
from dunghan_common.web import create_ops_app
from fastapi import FastAPI

from sla.bootstrap import Sla
from sla.settings import SlaSettings

#: The long-running roles without business routes; each serves `ops_app` instead.
WORKER_ROLES = ("consume", "tick", "relay")


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


def ops_app(sla: Sla, role: str) -> FastAPI:
    """The operations app of a worker role: probes and the process's registry, no business routes.

    Every worker role uses both the database and Kafka (the consumer and its dead-letter
    publisher, the tick's watermark offsets, the relay's publisher), so both gate readiness.
    The checks read the clients when called: before ``Sla.start`` they report unavailable.
    """

    async def database() -> None:
        if sla.engine is None:
            raise RuntimeError("not started")
        await ping(sla.engine)

    async def kafka() -> None:
        if sla.publisher is None:
            raise RuntimeError("not started")
        await sla.publisher.ping()

    checks = [("database", database), ("kafka", kafka), ("work", sla.conditions.check)]
    return create_ops_app(f"Đúng Hạn SLA ({role})", sla.registry, checks, sla.settings.metrics)


def _ops(sla: Sla, role: str) -> Coroutine[Any, Any, None]:
    return serve_http(ops_app(sla, role), sla.settings.http_host, sla.settings.http_port)


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
        await run_until_signal(_consume_loop(sla), _ops(sla, "consume"))


async def tick() -> None:
    """Fire due timers (any number of replicas)."""
    async with _service() as sla:
        await run_until_signal(sla.tick_forever(), _ops(sla, "tick"))


async def relay() -> None:
    """Relay the outbox to `sla-alerts`."""
    async with _service() as sla:
        await run_until_signal(sla.relay_forever(), _ops(sla, "relay"))


async def replay() -> None:
    """Re-apply the dead letters of `dossier-events` (after a fix), print what was done."""
    async with _service() as sla:
        s = sla.settings
        handler = sla.handler(sla.projector())
        report = await replay_dead_letters(
            s.kafka, [s.sla.events_topic], s.sla.consumer_group, handler
        )
    print_and_exit(report)


async def migrate() -> None:
    """Bring the database schema up to date."""
    settings = SlaSettings()
    # Alembic's env runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def run() -> None:
    """Every role in one process (the local stack): the full API once, no operations app."""
    async with _service() as sla:
        await run_until_signal(
            _http(sla),  # type: ignore[arg-type]
            _consume_loop(sla),
            sla.tick_forever(),
            sla.relay_forever(),
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
            "replay-dead-letters": replay,
            "run": run,
        }
    )

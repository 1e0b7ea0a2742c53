"""Process roles: ``python -m notify {api|consume|deliver|schedule|migrate|run}``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from dunghan_common.db.migrations import upgrade
from dunghan_common.kafka import KafkaPublisher
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http

from notify import bootstrap
from notify.settings import NotifySettings


def _settings() -> NotifySettings:
    settings = NotifySettings()
    configure_logging(settings.service_name, settings.log_level)
    return settings


async def migrate() -> None:
    """Bring the database to the latest schema."""
    settings = _settings()
    # Alembic's env runs its own event loop (asyncio.run), so it needs a thread of its own.
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def api() -> None:
    """Serve the query API."""
    await _run(http=True)


async def consume() -> None:
    """Consume alerts, findings, contacts and reschedules."""
    await _run(consume=True)


async def deliver() -> None:
    """Deliver queued notifications."""
    await _run(deliver=True)


async def schedule() -> None:
    """Digests, contact retention, gauges."""
    await _run(schedule=True)


async def run() -> None:
    """Every role in one process."""
    await _run(http=True, consume=True, deliver=True, schedule=True)


async def _run(
    http: bool = False, consume: bool = False, deliver: bool = False, schedule: bool = False
) -> None:
    settings = _settings()
    c = bootstrap.build(settings)
    publisher = KafkaPublisher(settings.kafka, client_id=f"{settings.service_name}-dlq")
    tasks = []
    try:
        if http or consume:
            await publisher.start()
        if http:
            tasks.append(
                serve_http(bootstrap.app(c, publisher), settings.http_host, settings.http_port)
            )
        if consume:
            consumer = bootstrap.consumer(c, publisher)
            await consumer.start()
            tasks.append(consumer.run())
        if deliver:
            tasks.append(bootstrap.deliver_forever(c, bootstrap.deliverer(c)))
        if schedule:
            tasks.append(bootstrap.schedule_forever(c, bootstrap.scheduler(c)))
        await run_until_signal(*tasks)
    finally:
        if consume:
            await consumer.stop()
        await publisher.stop()
        await c.engine.dispose()


if __name__ == "__main__":
    main(
        {
            "api": api,
            "consume": consume,
            "deliver": deliver,
            "schedule": schedule,
            "migrate": migrate,
            "run": run,
        }
    )

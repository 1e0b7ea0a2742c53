"""Process roles: ``python -m notify <role>``: api, consume, deliver, schedule, run, one-shots.

``migrate``, ``replay-dead-letters`` (re-applies the consumer's dead letters after a fix) and
``reseal`` (re-seals every contact under the newest contacts key) exit.

A worker role (consume, deliver, schedule) alone in its process also serves the operations app on
the HTTP port (``/healthz``, ``/readyz``, ``/metrics``) so Kubernetes probes it and Prometheus
scrapes it; ``api`` and ``run`` serve the full API, which answers those itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from dunghan_common.db import ping
from dunghan_common.db.migrations import upgrade
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.replay import print_and_exit
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http
from dunghan_common.web import ReadinessCheck, create_ops_app
from fastapi import FastAPI

from notify import bootstrap
from notify.settings import NotifySettings
from notify.usecases.reseal import reseal_all

#: The long-running roles without business routes; each serves `ops_app` instead.
WORKER_ROLES = ("consume", "deliver", "schedule")


def ops_app(c: bootstrap.Container, role: str, publisher: KafkaPublisher | None) -> FastAPI:
    """The operations app of a worker role: probes and the process's registry, no business routes.

    Every role uses the database; the consumer (its dead-letter publisher) and the scheduler
    (erasing purged contacts' dead letters) use Kafka, so Kafka gates readiness where a
    publisher is given. The providers (SMTP, SMS, webhook)
    do not: a provider outage is retried per notification, not a reason to stop the pod.
    """
    checks: list[ReadinessCheck] = [
        ("database", lambda: ping(c.engine)),
        ("work", c.conditions.check),
    ]
    if publisher is not None:
        checks.append(("kafka", publisher.ping))
    return create_ops_app(f"Đúng Hạn notify ({role})", c.registry, checks, c.settings.metrics)


def _settings() -> NotifySettings:
    settings = NotifySettings()
    configure_logging(settings.service_name, settings.log_level)
    return settings


async def migrate() -> None:
    """Bring the database to the latest schema."""
    settings = _settings()
    # Alembic's env runs its own event loop (asyncio.run), so it needs a thread of its own.
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def replay() -> None:
    """Re-apply the consumer's dead letters (after a fix), print what was done."""
    c = bootstrap.build(_settings())
    try:
        report = await bootstrap.replay(c)
    finally:
        await c.engine.dispose()
    print_and_exit(report)


async def reseal() -> None:
    """Re-seal every stored contact under the newest contacts key (key rotation)."""
    c = bootstrap.build(_settings())
    try:
        report = await reseal_all(c.uow, c.sealer)
    finally:
        await c.engine.dispose()
    print(f"contacts re-sealed: {report.resealed}; unreadable under every key: {report.unreadable}")
    if report.unreadable:
        raise SystemExit(1)


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


async def _consume(consumer: BatchConsumer) -> None:
    # Joined inside the task, not before: the probes answer while the group is being joined.
    await consumer.start()
    await consumer.run()


async def _run(
    http: bool = False, consume: bool = False, deliver: bool = False, schedule: bool = False
) -> None:
    settings = _settings()
    c = bootstrap.build(settings)
    publisher = KafkaPublisher(settings.kafka, client_id=f"{settings.service_name}-dlq")
    tasks = []
    consumer = None
    try:
        if http or consume or schedule:
            await publisher.start()  # dead letters (consume), their erasure (schedule)
        if http:
            tasks.append(
                serve_http(bootstrap.app(c, publisher), settings.http_host, settings.http_port)
            )
        else:
            flags = {"consume": consume, "deliver": deliver, "schedule": schedule}
            role = "+".join(name for name, on in flags.items() if on)
            app = ops_app(c, role, publisher if consume or schedule else None)
            tasks.append(serve_http(app, settings.http_host, settings.http_port))
        if consume:
            consumer = bootstrap.consumer(c, publisher)
            tasks.append(_consume(consumer))
        if deliver:
            tasks.append(bootstrap.deliver_forever(c, bootstrap.deliverer(c)))
        if schedule:
            tasks.append(bootstrap.schedule_forever(c, bootstrap.scheduler(c, publisher)))
        await run_until_signal(*tasks)
    finally:
        if consumer is not None:  # not bound if start-up failed before it was built
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
            "replay-dead-letters": replay,
            "run": run,
            "reseal": reseal,
        }
    )

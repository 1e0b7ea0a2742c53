"""Entry points: ``python -m sync_audit <role>``: api, consume, relay, migrate, run, and the
commands replay-dead-letters and import-index.

``replay-dead-letters`` re-applies the consumer's dead letters after a fix and exits.

A worker role (consume, relay) alone in its process also serves the operations app on the HTTP
port (``/healthz``, ``/readyz``, ``/metrics``) so Kubernetes probes it and Prometheus scrapes it.
"""

from __future__ import annotations

import asyncio
import sys
from functools import partial
from pathlib import Path

from dunghan_common.db import ping
from dunghan_common.db.migrations import upgrade
from dunghan_common.kafka.replay import print_and_exit, replay_dead_letters
from dunghan_common.logs import configure_logging
from dunghan_common.runtime import main, run_until_signal, serve_http
from dunghan_common.web import ReadinessCheck, create_ops_app
from fastapi import FastAPI

from sync_audit.adapters.portal_index import index_forever
from sync_audit.bootstrap import (
    Container,
    build,
    build_app,
    build_consumer,
    build_handler,
    build_relay,
    reconcile_forever,
)
from sync_audit.settings import SyncAuditSettings

#: The long-running roles without business routes; each serves `ops_app` instead.
WORKER_ROLES = ("consume", "relay")
#: One-shot commands: they run and exit, serving nothing.
COMMANDS = ("import-index",)


def _container() -> Container:
    settings = SyncAuditSettings()
    configure_logging(settings.service_name, settings.log_level)
    return build(settings)


def ops_app(c: Container, role: str) -> FastAPI:
    """The operations app of a worker role: probes and the process's registry, no business routes.

    Both worker roles use the database and Kafka (the consumer and its dead-letter publisher;
    the relay's publisher), so both gate readiness.
    """
    checks: list[ReadinessCheck] = [
        ("database", partial(ping, c.engine)),
        ("kafka", c.publisher.ping),
        ("work", c.conditions.check),
    ]
    return create_ops_app(f"Đúng Hạn sync-audit ({role})", c.registry, checks, c.settings.metrics)


async def _api(c: Container) -> None:
    await serve_http(build_app(c), c.settings.http_host, c.settings.http_port)


async def _consume(c: Container) -> None:
    consumer = build_consumer(c)
    await consumer.start()
    try:
        index = index_forever(
            c.index, c.settings.portal_index, c.settings.audit.index_refresh_interval_s, c.clock.now
        )
        await asyncio.gather(consumer.run(), reconcile_forever(c), index)
    finally:
        await consumer.stop()


async def _relay(c: Container) -> None:
    relay = build_relay(c)
    try:
        await relay.run(c.conditions)
    finally:
        relay.stop()


async def _with(roles: list[str]) -> None:
    """Run the given roles in one process, sharing one engine and one publisher.

    Without the API among them, the operations app takes the HTTP port; with it (``api``,
    ``run``) the API already answers the probes and serves the metrics.
    """
    c = _container()
    await c.publisher.start()
    parts = {"api": _api, "consume": _consume, "relay": _relay}
    tasks = [parts[r](c) for r in roles]
    if "api" not in roles:
        app = ops_app(c, "+".join(roles))
        tasks.append(serve_http(app, c.settings.http_host, c.settings.http_port))
    try:
        await run_until_signal(*tasks)
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


async def replay() -> None:
    """Re-apply the dead letters of both consumed topics (after a fix), print what was done."""
    c = _container()
    a = c.settings.audit
    try:
        topics = [a.dossier_events_topic, a.sla_alerts_topic]
        report = await replay_dead_letters(
            c.settings.kafka, topics, a.consumer_group, build_handler(c)
        )
    finally:
        await c.engine.dispose()
    print_and_exit(report)


async def migrate() -> None:
    """Bring the database schema to the latest revision."""
    settings = SyncAuditSettings()
    configure_logging(settings.service_name, settings.log_level)
    await asyncio.to_thread(upgrade, Path(__file__).parent / "migrations", settings.db.url)


async def import_index() -> None:
    """``import-index YYYY-MM FILE``: store a saved portal index answer (checked like a PUT)."""
    from sync_audit.cli import import_answer

    settings = SyncAuditSettings()
    configure_logging(settings.service_name, settings.log_level)
    raise SystemExit(await import_answer(settings, sys.argv[2:]))


if __name__ == "__main__":
    main(
        {
            "api": api,
            "consume": consume,
            "relay": relay,
            "migrate": migrate,
            "replay-dead-letters": replay,
            "run": run,
            "import-index": import_index,
        }
    )

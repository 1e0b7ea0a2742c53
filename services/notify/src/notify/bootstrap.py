"""The composition root: builds notify's parts from settings; nothing is built at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.clock import Clock, SystemClock
from dunghan_common.db import create_engine, ping
from dunghan_common.events.topics import dlq
from dunghan_common.health import Conditions
from dunghan_common.kafka import BatchConsumer, KafkaPublisher
from dunghan_common.kafka.consumer import ConsumerMetrics
from dunghan_common.kafka.replay import ReplayReport, replay_dead_letters
from dunghan_common.loops import Round, run_forever
from dunghan_common.metrics import new_registry
from dunghan_common.settings import KafkaSettings, with_batch_window
from dunghan_common.units import UnitDirectorySource
from dunghan_common.web import create_app
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.adapters.channels import (
    EmailChannel,
    LogChannel,
    SmsChannel,
    WebhookChannel,
)
from notify.adapters.crypto import FernetSealer
from notify.adapters.http import router
from notify.adapters.kafka import NotifyHandler, TopicNames
from notify.adapters.kpis import SlaKpiSource
from notify.adapters.metrics import NotifyMetrics
from notify.adapters.render import LetterRenderer
from notify.adapters.sql import SqlUnitOfWorkFactory
from notify.domain.models import ChannelName
from notify.ports import Channel
from notify.settings import NotifySettings
from notify.usecases.approve import Approvals
from notify.usecases.delivery import AfterSend, Deliverer, DeliveryPolicy
from notify.usecases.intake import Intake, IntakePolicy
from notify.usecases.queries import Queries
from notify.usecases.schedule import SchedulePolicy, Scheduler

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything a role needs, built once per process."""

    settings: NotifySettings
    engine: AsyncEngine
    registry: CollectorRegistry
    metrics: NotifyMetrics
    calendar: BusinessCalendar
    directory: UnitDirectorySource
    clock: Clock
    uow: SqlUnitOfWorkFactory
    sealer: FernetSealer
    renderer: LetterRenderer
    channels: dict[ChannelName, Channel] = field(default_factory=dict)
    #: What stalls this process's work (an outage, a refusing dead-letter topic): /readyz.
    conditions: Conditions = field(default_factory=Conditions)


def build(
    settings: NotifySettings, clock: Clock | None = None, calendar: BusinessCalendar | None = None
) -> Container:
    """Build the shared parts; the calendar is loaded for the years around now."""
    o = settings.notify
    clock = clock or SystemClock()
    year = clock.now().year
    registry = new_registry(settings.service_name)
    engine = create_engine(settings.db)
    return Container(
        settings=settings,
        engine=engine,
        registry=registry,
        metrics=NotifyMetrics(registry),
        calendar=calendar or load_calendar(o.calendar_dir, first_year=year - 2, last_year=year + 2),
        directory=UnitDirectorySource.from_settings(settings.units),
        clock=clock,
        uow=SqlUnitOfWorkFactory(engine),
        sealer=FernetSealer(o.contacts_keys()),
        renderer=LetterRenderer(o.font_dir),
        channels=build_channels(settings, clock),
    )


def build_channels(settings: NotifySettings, clock: Clock) -> dict[ChannelName, Channel]:
    """Real channels (every endpoint named: the settings refuse otherwise), or the log stub."""
    o = settings.notify
    if o.channels == "log" or o.sms_url is None or o.dost_webhook_url is None:
        return {name: LogChannel(name.value) for name in ChannelName}
    secret = o.dost_webhook_secret.get_secret_value() if o.dost_webhook_secret else None
    return {
        ChannelName.EMAIL: EmailChannel(
            o.smtp_host, o.smtp_port, o.smtp_from, o.smtp_starttls, o.smtp_timeout_s
        ),
        ChannelName.SMS: SmsChannel(o.sms_url, o.http_timeout_s),
        ChannelName.WEBHOOK: WebhookChannel(
            o.dost_webhook_url, o.http_timeout_s, secret, clock.now
        ),
    }


def intake(c: Container) -> Intake:
    """The intake use-case."""
    o = c.settings.notify
    policy = IntakePolicy(
        o.reschedule_working_days, o.applicant_office_hours_only, o.approving_units()
    )
    return Intake(c.uow, c.sealer, c.calendar, c.clock, c.directory, policy)


def approvals(c: Container) -> Approvals:
    """The approval use-case (``POST /v1/letters/{id}/approve``)."""
    return Approvals(c.uow, c.calendar, c.clock, c.directory, c.settings.notify)


def deliverer(c: Container, after_send: AfterSend | None = None) -> Deliverer:
    """The delivery use-case."""
    o = c.settings.notify
    policy = DeliveryPolicy(
        o.max_attempts,
        o.backoff_base_s,
        o.backoff_cap_s,
        o.sending_lease_s,
        o.deliver_batch,
        o.letter_title,
        o.applicant_office_hours_only,
    )
    return Deliverer(
        c.uow,
        c.channels,
        c.sealer,
        c.directory,
        c.renderer,
        c.clock,
        c.calendar,
        c.metrics,
        policy,
        after_send,
    )


def scheduler(c: Container, publisher: KafkaPublisher | None = None) -> Scheduler:
    """The periodic jobs; with a publisher, purging contacts also erases their dead letters."""
    o = c.settings.notify
    token = o.sla_api_token.get_secret_value() if o.sla_api_token else None
    kpis = SlaKpiSource(o.sla_api_url, token, c.clock) if o.sla_api_url else None
    forget = None
    if publisher is not None:
        forget = partial(erase_dead_letters, publisher, dlq(o.contacts_topic))
    policy = SchedulePolicy(
        o.digest_hour,
        o.applicant_office_hours_only,
        timedelta(days=o.contacts_retention_days),
        o.approving_units(),
        o.approval_window_working_hours,
    )
    return Scheduler(c.uow, c.calendar, c.clock, c.directory, policy, kpis, forget)


async def erase_dead_letters(publisher: KafkaPublisher, topic: str, keys: list[str]) -> None:
    """Tombstones on the compacted dead-letter topic of contacts, one per purged contact key."""
    await publisher.tombstone(topic, [key.encode() for key in keys])


def topics(settings: NotifySettings) -> TopicNames:
    """The topics notify reads."""
    o = settings.notify
    return TopicNames(o.alerts_topic, o.findings_topic, o.contacts_topic, o.events_topic)


def consumer_kafka(settings: NotifySettings) -> KafkaSettings:
    """The Kafka settings of notify's consumer: its batch window, else its fetch wait."""
    wait = settings.notify.fetch_max_wait_ms
    kafka = settings.kafka.model_copy(update={"consumer_fetch_max_wait_ms": wait})
    return with_batch_window(kafka, settings.notify.batch_window_ms)


def handler(c: Container) -> NotifyHandler:
    """The batch handler of the four topics (the consumer's, and the dead letters' replay)."""
    return NotifyHandler(topics(c.settings), intake(c))


async def replay(c: Container) -> ReplayReport:
    """Re-apply the consumer's dead letters; sealed ones (contacts) opened with the key."""
    s = c.settings
    openers = {s.notify.contacts_topic: c.sealer.open_bytes}
    names = topics(s).all()
    return await replay_dead_letters(s.kafka, names, s.notify.group_id, handler(c), openers)


def consumer(c: Container, dlq: KafkaPublisher) -> BatchConsumer:
    """The consumer of the four topics, one group; dead letters of contacts are sealed."""
    return BatchConsumer(
        consumer_kafka(c.settings),
        topics(c.settings).all(),
        c.settings.notify.group_id,
        handler(c),
        dlq,
        ConsumerMetrics(c.registry),
        conditions=c.conditions,
        sealers={c.settings.notify.contacts_topic: c.sealer.seal_bytes},
    )


def app(c: Container, publisher: KafkaPublisher | None = None) -> FastAPI:
    """The HTTP app."""
    checks = [("database", lambda: ping(c.engine)), ("work", c.conditions.check)]
    if publisher is not None:
        checks.append(("kafka", publisher.ping))
    api = create_app(
        "Đúng Hạn notify",
        c.registry,
        checks,
        description="Apology letters (phiếu xin lỗi) and reminders, exactly once.",
        metrics=c.settings.metrics,
    )
    api.include_router(
        router(
            Queries(
                c.uow,
                c.sealer,
                c.directory,
                c.renderer,
                c.settings.notify.letter_title,
                c.metrics.contact_unreadable,
            ),
            approvals(c),
            c.settings.auth,
        )
    )
    return api


async def deliver_forever(c: Container, worker: Deliverer) -> None:
    """Deliver until cancelled; a failed round is retried by the loop policy."""

    async def round_() -> bool:
        return await worker.run_once() > 0

    await _forever(c, "deliver", round_, c.settings.notify.deliver_poll_s)


async def schedule_forever(c: Container, jobs: Scheduler) -> None:
    """Digest, retention, held letters and the gauges, every ``schedule_poll_s``."""

    async def round_() -> bool:
        await jobs.queue_digests()
        await jobs.purge_contacts()
        _, still_held = await jobs.release_held()
        c.metrics.held.set(still_held)
        c.metrics.issued_unapproved.inc(await jobs.issue_unapproved())
        c.metrics.set_waiting(await jobs.waiting())
        return False

    await _forever(c, "schedule", round_, c.settings.notify.schedule_poll_s)


async def _forever(c: Container, name: str, round_: Round, interval_s: float) -> None:
    await run_forever(name, round_, interval_s, registry=c.registry, conditions=c.conditions)

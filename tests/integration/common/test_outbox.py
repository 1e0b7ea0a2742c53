"""The unit of work and the outbox relay against the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer
from dunghan_common.db import OutboxRelay, SqlUnitOfWork, add_to_outbox, create_engine, outbox_table
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord
from dunghan_common.settings import DatabaseSettings, KafkaSettings
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData, func, select

from tests import support

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_committed_records_are_relayed_in_order_and_rolled_back_ones_never(
    fresh_database: str, topic_factory
) -> None:
    topic = await topic_factory("outbox", partitions=1)
    metadata = MetaData()
    table = outbox_table(metadata)
    engine = create_engine(DatabaseSettings(url=fresh_database))
    publisher = KafkaPublisher(KafkaSettings(bootstrap_servers=support.kafka_bootstrap()))
    await publisher.start()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with SqlUnitOfWork(engine) as uow:
            recs = [
                OutgoingRecord(topic, f"v{i}".encode(), b"k", [("ce_id", f"{i}".encode())])
                for i in range(5)
            ]
            await add_to_outbox(uow.connection, table, recs)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            await add_to_outbox(uow.connection, table, [OutgoingRecord(topic, b"rolled-back")])
            # no commit: leaving the block rolls back
        relay = OutboxRelay(engine, table, publisher, CollectorRegistry(), lock_id=42)
        assert await relay.relay_once() == 5
        assert await relay.relay_once() == 0
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(table)) == 0
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=support.kafka_bootstrap(),
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        got = []
        try:
            async with asyncio.timeout(20):
                while len(got) < 5:
                    for part in (await consumer.getmany(timeout_ms=500)).values():
                        got.extend(part)
            extra = await consumer.getmany(timeout_ms=1000)
        finally:
            await consumer.stop()
        assert [r.value for r in got] == [f"v{i}".encode() for i in range(5)]
        assert dict(got[3].headers)["ce_id"] == b"3"
        assert not any(extra.values())
    finally:
        await publisher.stop()
        await engine.dispose()


async def test_a_second_relay_waits_while_the_first_holds_the_lock(fresh_database: str) -> None:
    engine = create_engine(DatabaseSettings(url=fresh_database))
    metadata = MetaData()
    table = outbox_table(metadata)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engine.connect() as holder, holder.begin():
            await holder.scalar(select(func.pg_advisory_xact_lock(7)))
            publisher = KafkaPublisher(KafkaSettings(bootstrap_servers=support.kafka_bootstrap()))
            relay = OutboxRelay(engine, table, publisher, CollectorRegistry(), lock_id=7)
            async with SqlUnitOfWork(engine) as uow:
                await add_to_outbox(uow.connection, table, [OutgoingRecord("t", b"v")])
                await uow.commit()
            assert await relay.relay_once() == 0
    finally:
        await engine.dispose()

"""Publishing accepted events: ``dossier-events`` without the applicant, contacts on their own."""

from __future__ import annotations

import time
from collections.abc import Sequence

from dunghan_common.events import CloudEvent, encode_contact, split_contact, to_kafka
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord, PublishError
from prometheus_client import Histogram

from ingest.ports import PublishFailed


def to_records(
    events: Sequence[CloudEvent], events_topic: str, contacts_topic: str
) -> list[OutgoingRecord]:
    """The Kafka records of validated events: binary mode keyed by subject, contacts split off."""
    records: list[OutgoingRecord] = []
    for event in events:
        public, contact = split_contact(event)
        message = to_kafka(public)
        records.append(OutgoingRecord(events_topic, message.value, message.key, message.headers))
        if contact is not None:
            c = encode_contact(contact)
            records.append(OutgoingRecord(contacts_topic, c.value, c.key, c.headers))
    return records


class KafkaEventPublisher:
    """`EventPublisher` on the shared acks=all idempotent producer, bounded in time."""

    def __init__(
        self,
        publisher: KafkaPublisher,
        events_topic: str,
        contacts_topic: str,
        timeout_s: float,
        produce_latency: Histogram,
    ) -> None:
        self._publisher = publisher
        self._events_topic = events_topic
        self._contacts_topic = contacts_topic
        self._timeout_s = timeout_s
        self._latency = produce_latency

    async def publish(self, events: Sequence[CloudEvent]) -> None:
        """Publish all records in one call, waiting for every ack, or raise `PublishFailed`."""
        records = to_records(events, self._events_topic, self._contacts_topic)
        start = time.perf_counter()
        try:
            await self._publisher.publish(records, timeout_s=self._timeout_s)
        except PublishError as exc:
            raise PublishFailed(str(exc)) from exc
        finally:
            self._latency.observe(time.perf_counter() - start)

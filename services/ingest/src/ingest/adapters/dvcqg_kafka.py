"""Publishing what the portal format derived: events as ``POST /v1/events`` does, plus contacts.

The events go through the same record building (`to_records`: the applicant of a
``dossier.received`` split off to the contacts topic); the officials named by process steps are
contacts too. Everything goes out in one `publish_partitioned` call, acknowledged by every
in-sync replica before the request is answered.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from dunghan_common.events import CloudEvent, DossierContact, encode_contact
from dunghan_common.kafka import KafkaPublisher, OutgoingRecord, PublishError
from prometheus_client import Histogram

from ingest.adapters.kafka import to_records
from ingest.ports import PublishFailed

_OWN_EXTENSIONS = frozenset({"dvcqgflags"})


class KafkaDvcqgPublisher:
    """`DvcqgPublisher` on the shared acks=all idempotent producer, bounded in time."""

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

    async def publish(
        self, events: Sequence[CloudEvent], contacts: Sequence[DossierContact]
    ) -> None:
        """Publish every record in one call, waiting for every ack, or raise `PublishFailed`."""
        # The flags are ingest's own (the translator's), so they always reach the topic.
        records = to_records(events, self._events_topic, self._contacts_topic, _OWN_EXTENSIONS)
        for contact in contacts:
            c = encode_contact(contact)
            records.append(OutgoingRecord(self._contacts_topic, c.value, c.key, c.headers))
        start = time.perf_counter()
        try:
            await self._publisher.publish_partitioned(records, timeout_s=self._timeout_s)
        except PublishError as exc:
            raise PublishFailed(str(exc)) from exc
        finally:
            self._latency.observe(time.perf_counter() - start)

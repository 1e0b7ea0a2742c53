"""Publishing accepted events: ``dossier-events`` without the applicant and with every assignee
reduced to its id; the applicant's and the officials' contacts on `dossier-contacts`.

Records are built here rather than by `split_contact` and `to_kafka` unless an event carries
``dataschema``: the same bytes (a unit test compares them for every type, with and without
extension attributes), with the constant headers prebuilt and the applicant excluded when
serialising rather than by re-validating the event without it; about a third of the cost. They
go out through `KafkaPublisher.publish_partitioned` (one record batch per partition, not one
``send`` per record).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from dunghan_common.events import (
    CloudEvent,
    Contact,
    DossierAssignedWithContact,
    DossierReceivedWithApplicant,
    encode_contact,
    split_contacts,
    to_kafka,
)
from dunghan_common.events.contacts import applicant_contact, official_contact
from dunghan_common.kafka import (
    CommitUnknown,
    OutgoingRecord,
    PublishError,
    PublishRefused,
    RecordPublisher,
)
from dunghan_common.kafka.deadletter import record_size
from prometheus_client import Histogram

from ingest.ports import PublishFailed, RecordsRefused


def to_records(
    events: Sequence[CloudEvent],
    events_topic: str,
    contacts_topic: str,
    forwarded: frozenset[str] = frozenset(),
) -> list[OutgoingRecord]:
    """The Kafka records of validated events: binary mode keyed by subject, contacts split off.

    Extension attributes travel only if declared (``forwarded``); the others stay off the topics.
    """
    records: list[OutgoingRecord] = []
    for event in events:
        if event.dataschema is not None:
            records += _through_codec(event, events_topic, contacts_topic, forwarded)  # rare
            continue
        data = event.data
        key = _key(event)
        headers = _headers(event, key)
        extra = event.__pydantic_extra__
        if extra:  # the codec writes them last, in order; only the forwarded ones travel
            headers += [("ce_" + k, v.encode()) for k, v in extra.items() if k in forwarded]
        if isinstance(data, DossierReceivedWithApplicant | DossierAssignedWithContact):
            value = data.__pydantic_serializer__.to_json(data, exclude_none=True, exclude=_PERSONAL)
            records.append(OutgoingRecord(events_topic, value, key, headers))
            contacts: list[Contact] = []
            if isinstance(data, DossierReceivedWithApplicant):
                contacts.append(applicant_contact(event, data))
            if data.assignee is not None:
                contacts.append(official_contact(event, data.assignee))
            records += [_contact_record(c, contacts_topic) for c in contacts]
        else:
            value = data.__pydantic_serializer__.to_json(data, exclude_none=True)
            records.append(OutgoingRecord(events_topic, value, key, headers))
    return records


#: What `dossier-events` never carries: the applicant, an assignee's name and email.
_PERSONAL: dict[str, Any] = {"applicant": True, "assignee": {"name": True, "email": True}}


def _contact_record(contact: Contact, contacts_topic: str) -> OutgoingRecord:
    message = encode_contact(contact)
    return OutgoingRecord(contacts_topic, message.value, message.key, message.headers)


_CONSTANT = (("content-type", b"application/json"), ("ce_specversion", b"1.0"))


@cache
def _encoded(text: str) -> bytes:
    """Bytes of a value from a bounded set (event types, configured sources)."""
    return text.encode()


def _key(event: CloudEvent) -> bytes:
    """The dossier code; for a `system.*` event without subject, its component (as `to_kafka`)."""
    if event.subject is not None:
        return event.subject.encode()
    component = getattr(event.data, "component", None)
    if not isinstance(component, str):
        raise ValueError(f"{event.type} without subject has no data.component to key it by")
    return component.encode()


def _rfc3339(moment: datetime) -> bytes:
    """``moment.isoformat()`` as bytes, five times faster: orjson writes the same RFC 3339 text
    for every aware time whose offset is whole minutes, which all validated times are."""
    return orjson.dumps(moment)[1:-1]


def _headers(event: CloudEvent, key: bytes) -> list[tuple[str, bytes]]:
    """`to_kafka`'s binary-mode headers of an event without ``dataschema`` or extensions."""
    headers = [
        *_CONSTANT,
        ("ce_id", event.id.encode()),
        ("ce_source", _encoded(event.source)),
        ("ce_type", _encoded(event.type)),
        ("ce_time", _rfc3339(event.time)),
    ]
    if event.subject is not None:
        headers.append(("ce_subject", key))
    return headers


def _through_codec(
    event: CloudEvent, events_topic: str, contacts_topic: str, forwarded: frozenset[str]
) -> list[OutgoingRecord]:
    """The records of an event with ``dataschema`` or extension attributes, by the codec itself."""
    public, contacts = split_contacts(event)
    message = to_kafka(public)
    dropped = {f"ce_{name}" for name in event.extensions if name not in forwarded}
    headers = [(k, v) for k, v in message.headers if k not in dropped]
    records = [OutgoingRecord(events_topic, message.value, message.key, headers)]
    return records + [_contact_record(c, contacts_topic) for c in contacts]


class KafkaEventPublisher:
    """`EventPublisher` and `DvcqgPublisher` on the shared acks=all producer, bounded in time.

    The producer is transactional unless ``DUNGHAN_INGEST_TRANSACTIONS=false``: then a publish
    is all or nothing for read_committed readers. Both doors publish through this class (one
    instance each: they forward different extension attributes) on the same producer.
    """

    def __init__(
        self,
        publisher: RecordPublisher,
        events_topic: str,
        contacts_topic: str,
        timeout_s: float,
        produce_latency: Histogram,
        forwarded_extensions: Iterable[str] = (),
    ) -> None:
        self._publisher = publisher
        self._events_topic = events_topic
        self._contacts_topic = contacts_topic
        self._timeout_s = timeout_s
        self._latency = produce_latency
        self._forwarded = frozenset(forwarded_extensions)

    def record_sizes(self, events: Sequence[CloudEvent]) -> list[int]:
        """The size of each event's largest record (upper estimate), as `publish` would build it."""
        sizes = []
        for event in events:
            built = to_records([event], self._events_topic, self._contacts_topic, self._forwarded)
            sizes.append(max(record_size(r.key, r.value, r.headers) for r in built))
        return sizes

    async def publish(self, events: Sequence[CloudEvent], contacts: Sequence[Contact] = ()) -> None:
        """Publish the events' records and ``contacts`` in one call, waiting for every ack.

        Raises `RecordsRefused` when the records themselves were refused, `PublishFailed` when
        Kafka did not acknowledge in time.
        """
        records = to_records(events, self._events_topic, self._contacts_topic, self._forwarded)
        records += [_contact_record(c, self._contacts_topic) for c in contacts]
        start = time.perf_counter()
        try:
            await self._publisher.publish_partitioned(records, timeout_s=self._timeout_s)
        except PublishRefused as exc:
            raise RecordsRefused(str(exc), too_large=exc.too_large) from exc
        except CommitUnknown as exc:
            raise PublishFailed(str(exc), maybe_published=True) from exc
        except PublishError as exc:
            raise PublishFailed(str(exc)) from exc
        finally:
            self._latency.observe(time.perf_counter() - start)

"""Kafka plumbing: acks=all idempotent publishers (one transactional), a batch consumer with a
DLQ, the topics."""

from dunghan_common.failures import PoisonMessageError, is_transient
from dunghan_common.kafka.consumer import BatchConsumer
from dunghan_common.kafka.producer import (
    KafkaPublisher,
    OutgoingRecord,
    PublishError,
    PublishRefused,
)
from dunghan_common.kafka.topics import TopicSpec, contract_topics, ensure_topics
from dunghan_common.kafka.transactional import (
    CommitUnknown,
    RecordPublisher,
    TransactionalPublisher,
)

__all__ = [
    "BatchConsumer",
    "CommitUnknown",
    "KafkaPublisher",
    "OutgoingRecord",
    "PoisonMessageError",
    "PublishError",
    "PublishRefused",
    "RecordPublisher",
    "TopicSpec",
    "TransactionalPublisher",
    "contract_topics",
    "ensure_topics",
    "is_transient",
]

"""Kafka plumbing: an acks=all idempotent publisher, a batch consumer with a DLQ, the topics."""

from dunghan_common.failures import PoisonMessageError, is_transient
from dunghan_common.kafka.consumer import BatchConsumer
from dunghan_common.kafka.producer import KafkaPublisher, OutgoingRecord, PublishError
from dunghan_common.kafka.topics import TopicSpec, contract_topics, ensure_topics

__all__ = [
    "BatchConsumer",
    "KafkaPublisher",
    "OutgoingRecord",
    "PoisonMessageError",
    "PublishError",
    "TopicSpec",
    "contract_topics",
    "ensure_topics",
    "is_transient",
]

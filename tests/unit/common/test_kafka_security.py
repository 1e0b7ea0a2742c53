"""Kafka clients connect in plaintext locally and with SASL/TLS or mTLS when configured."""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from dunghan_common.kafka.security import connection_options
from dunghan_common.settings import KafkaSettings

CA = Path(certifi.where())  # any PEM bundle: the options are built, nothing connects


def test_the_local_default_is_plaintext() -> None:
    assert connection_options(KafkaSettings()) == {"security_protocol": "PLAINTEXT"}


@pytest.mark.asyncio(loop_scope="session")
async def test_scram_over_tls_gives_clients_the_user_and_the_cluster_ca() -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_username="dunghan-sla",
        sasl_password="from-the-kafkauser-secret",
        ssl_cafile=CA,
    )
    options = connection_options(settings)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "dunghan-sla"
    assert options["sasl_plain_password"] == "from-the-kafkauser-secret"
    assert options["ssl_context"] is not None
    # aiokafka accepts them (its constructors check the combination; nothing connects here).
    AIOKafkaConsumer(bootstrap_servers="kafka:9093", **options)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_producer_accepts_them_too() -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL", sasl_username="u", sasl_password="p", ssl_cafile=CA
    )
    producer = AIOKafkaProducer(bootstrap_servers="kafka:9093", **connection_options(settings))
    await producer.stop()


def test_environment_configures_them(monkeypatch) -> None:
    monkeypatch.setenv("DUNGHAN_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("DUNGHAN_KAFKA_SASL_USERNAME", "dunghan-notify")
    monkeypatch.setenv("DUNGHAN_KAFKA_SASL_PASSWORD", "pw")
    monkeypatch.setenv("DUNGHAN_KAFKA_SSL_CAFILE", str(CA))
    settings = KafkaSettings()
    assert settings.sasl_username == "dunghan-notify"
    assert "pw" not in repr(settings)


def test_sasl_without_credentials_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="sasl_username"):
        KafkaSettings(security_protocol="SASL_SSL")

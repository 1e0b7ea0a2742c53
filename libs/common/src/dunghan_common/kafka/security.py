"""The connection options of every Kafka client: plaintext, TLS, SASL (SCRAM) or mTLS."""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context

from dunghan_common.settings import KafkaSettings


def connection_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for an aiokafka producer, consumer or admin client."""
    protocol = settings.security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=_path(settings.ssl_cafile),
            certfile=_path(settings.ssl_certfile),
            keyfile=_path(settings.ssl_keyfile),
        )
    if protocol.startswith("SASL_") and settings.sasl_password is not None:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options


def _path(value: object) -> str | None:
    return None if value is None else str(value)

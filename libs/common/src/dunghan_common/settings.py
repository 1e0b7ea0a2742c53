"""Settings mixins composed per service (pydantic-settings, environment prefix ``DUNGHAN_``)."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Credentials that only the local development stack may use (docs/contract.md).
DEV_INGEST_KEY = "dev-ingest-key"
DEV_OPS_TOKEN = "dev-ops-token"  # noqa: S105 - a published development placeholder
PLACEHOLDER_SECRETS = frozenset({DEV_INGEST_KEY, DEV_OPS_TOKEN, "changeme", "secret", "dunghan"})


class Environment(StrEnum):
    """Where a process runs; only ``development`` and ``test`` accept placeholder secrets."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def hash_secret(secret: str) -> str:
    """Return the stored form of a key or token: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(candidate: str, stored: str) -> bool:
    """Compare a presented secret with its stored hash in constant time."""
    return hmac.compare_digest(hash_secret(candidate), stored)


PLACEHOLDER_HASHES = frozenset(hash_secret(s) for s in PLACEHOLDER_SECRETS)


class MetricsSettings(BaseSettings):
    """Who may read ``/metrics`` (``DUNGHAN_METRICS_TOKEN_HASH``).

    Unset (the local stack's default), ``/metrics`` answers anyone, as Prometheus on one machine
    expects. Set to ``sha256:<hex>`` of a token, it answers only ``Authorization: Bearer <token>``
    (Prometheus' ``authorization`` / the PodMonitor's ``bearerTokenSecret``): per-unit figures
    are not for every client that reaches the API port.
    """

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_METRICS_", extra="ignore", frozen=True)

    token_hash: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")


class BaseServiceSettings(BaseSettings):
    """What every process has: its environment, name, HTTP binding and logging."""

    model_config = SettingsConfigDict(
        env_prefix="DUNGHAN_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    env: Environment = Environment.PRODUCTION
    service_name: str = "dunghan"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)

    @property
    def is_development(self) -> bool:
        """True where placeholder secrets are allowed (development and test)."""
        return self.env in (Environment.DEVELOPMENT, Environment.TEST)


class KafkaSettings(BaseSettings):
    """Kafka connection and client tuning."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_KAFKA_", extra="ignore", frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "dunghan"
    request_timeout_ms: int = 10_000
    linger_ms: int = 5
    max_batch_size: int = 1_048_576
    compression_type: Literal["none", "gzip", "snappy", "lz4", "zstd"] | None = None
    consumer_max_records: int = 2_000
    consumer_max_retries: int = 3
    consumer_retry_backoff_s: float = 0.5
    #: Longest the broker holds a fetch waiting for data (aiokafka's default, 500 ms, unless set).
    consumer_fetch_max_wait_ms: int = 500
    #: Bytes the broker gathers before answering a fetch (up to the wait above); 1: at once.
    #: Services set it through their batch window (`with_batch_window`).
    consumer_fetch_min_bytes: int = 1
    #: Largest dead letter copied whole; a larger one is sent as a reference to the record
    #: (kept under the broker's default ``message.max.bytes``, 1 MiB, with room for framing).
    dlq_max_record_bytes: int = 1_000_000
    #: How clients reach the brokers: PLAINTEXT on the local stack; on Kubernetes SASL_SSL with
    #: the service's KafkaUser (SCRAM-SHA-512) and the cluster CA, or SSL with a client
    #: certificate (mTLS).
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    #: PEM files: the CA that signed the brokers' certificates; a client certificate and key (mTLS).
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        return self


#: What a consumer with a batch window asks the broker to gather before the window ends.
BATCH_WINDOW_MIN_BYTES = 1_048_576


def with_batch_window(kafka: KafkaSettings, window_ms: int) -> KafkaSettings:
    """A consumer's Kafka settings with its batch window (0: none, answer as soon as data waits).

    With a window the broker holds each fetch until 1 MiB is there or ``window_ms`` passed, so a
    consumer under moderate load takes one batch per window instead of one per produce request.
    Every batch costs the same round trips (its transaction, the offset commit) whatever its
    size: measured with the four services at 6,500 events/s paced, windows of 20 to 100 ms cut
    the services' CPU from 1.27 to 0.83 cores and the database's by a quarter. The window is the
    most it adds to a record's latency; BENCHMARKS.md counts it among G7's declared windows.
    """
    if window_ms <= 0:
        return kafka
    update = {
        "consumer_fetch_max_wait_ms": window_ms,
        "consumer_fetch_min_bytes": BATCH_WINDOW_MIN_BYTES,
    }
    return kafka.model_copy(update=update)


class DatabaseSettings(BaseSettings):
    """PostgreSQL connection (SQLAlchemy async URL with asyncpg)."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_DB_", extra="ignore", frozen=True)

    url: str = "postgresql+asyncpg://dunghan:dunghan@127.0.0.1:55432/dunghan"
    pool_size: int = 10
    max_overflow: int = 10
    statement_timeout_ms: int = 30_000


class Role(StrEnum):
    """Roles of query-API tokens: ``ops`` sees all, ``unit`` one unit, ``dost`` escalations."""

    OPS = "ops"
    UNIT = "unit"
    DOST = "dost"


class ApiToken(BaseModel):
    """A query-API bearer token, stored hashed, with its role (and unit for ``unit``)."""

    model_config = {"frozen": True}

    token_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    role: Role
    unit_code: str | None = None

    @model_validator(mode="after")
    def _unit_needs_code(self) -> ApiToken:
        if self.role is Role.UNIT and not self.unit_code:
            raise ValueError("a token with role 'unit' needs unit_code")
        return self


class AuthSettings(BaseSettings):
    """Bearer tokens of the query APIs (``DUNGHAN_AUTH_TOKENS`` as a JSON list)."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_AUTH_", extra="ignore", frozen=True)

    tokens: list[ApiToken] = Field(default_factory=list)

    def find(self, presented: str) -> ApiToken | None:
        """Return the token record matching a presented bearer token, if any."""
        wanted = hash_secret(presented)
        for token in self.tokens:
            if hmac.compare_digest(token.token_hash, wanted):
                return token
        return None


def refuse_placeholders(env: Environment, hashes: list[str], what: str) -> None:
    """Raise when a placeholder secret is configured outside development."""
    if env in (Environment.DEVELOPMENT, Environment.TEST):
        return
    if any(h in PLACEHOLDER_HASHES for h in hashes):
        raise ValueError(f"{what}: a development placeholder secret is configured in {env.value}")

"""Notify's settings: the shared mixins plus its own (environment prefix ``DUNGHAN_NOTIFY_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dunghan_common.events.topics import (
    AUDIT_FINDINGS,
    DOSSIER_CONTACTS,
    DOSSIER_EVENTS,
    SLA_ALERTS,
)
from dunghan_common.settings import (
    AuthSettings,
    BaseServiceSettings,
    DatabaseSettings,
    Environment,
    KafkaSettings,
    refuse_placeholders,
)
from dunghan_common.units import UnitDirectorySettings
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development stack's contacts key (a valid Fernet key); refused outside development.
DEV_CONTACTS_KEY = "ZGV2LW9ubHktY29udGFjdHMta2V5LWR1bmdoYW4tMDE="
#: Liberation Serif 2 (Debian fonts-liberation2): the letters' serif; version 1 lacks Vietnamese.
_FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")


class NotifyOptions(BaseSettings):
    """What only notify has: topics, directories, channels, retention and delivery policy."""

    model_config = SettingsConfigDict(env_prefix="DUNGHAN_NOTIFY_", extra="ignore", frozen=True)

    alerts_topic: str = SLA_ALERTS
    findings_topic: str = AUDIT_FINDINGS
    contacts_topic: str = DOSSIER_CONTACTS
    events_topic: str = DOSSIER_EVENTS
    group_id: str = "notify"
    #: Notify's consumer holds a fetch at most this long (KafkaSettings' default is 500 ms):
    #: a partition left out of the fetch in flight waits for it, which showed in G7's p99.
    fetch_max_wait_ms: int = Field(50, ge=0)
    #: The consumer's batch window (`with_batch_window`; it replaces the wait above when set):
    #: on the breach → apology leg of G7, declared there.
    batch_window_ms: int = Field(50, ge=0, le=5_000)
    calendar_dir: Path = Path("config/calendar")
    font_dir: Path = _FONT_DIR
    #: The 2025 form's title word: provinces print "Phiếu xin lỗi…" or "Văn bản xin lỗi…".
    letter_title: Literal["Phiếu", "Văn bản"] = "Phiếu"
    channels: Literal["log", "real"] = "log"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "khongtraloi@dunghan.quangtri.gov.vn"
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    #: The SMS gateway and DOST's webhook: no default, ``channels=real`` refuses to start without.
    sms_url: str | None = None
    dost_webhook_url: str | None = None
    #: Standard Webhooks secret (``whsec_<base64>``) signing every webhook; required with them.
    dost_webhook_secret: SecretStr | None = None
    http_timeout_s: float = 10.0
    #: Seals new contacts; ``contacts_previous_keys`` (JSON list) still open older ones until
    #: ``python -m notify reseal`` has re-sealed every contact under this key.
    contacts_key: SecretStr = SecretStr(DEV_CONTACTS_KEY)
    contacts_previous_keys: list[SecretStr] = Field(default_factory=list)
    #: Days a contact is kept after the end of its need (docs/domain.md §9), never while open.
    contacts_retention_days: int = Field(180, ge=1)
    reschedule_working_days: int = Field(5, ge=1)
    applicant_office_hours_only: bool = True
    #: Units whose head approves each letter before it is sent (comma-separated unit codes;
    #: default none: letters go out by themselves, docs/domain.md §5).
    approval_units: str = ""
    #: A letter awaiting approval is issued without it at its deadline: 1 working day before
    #: the due date, or, for a case opened after that, this many working hours after it opened.
    approval_window_working_hours: int = Field(4, ge=1, le=40)
    max_attempts: int = Field(6, ge=1)
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    sending_lease_s: float = 300.0
    deliver_batch: int = 100
    deliver_poll_s: float = 1.0
    schedule_poll_s: float = 60.0
    digest_hour: int = Field(8, ge=0, le=23)
    sla_api_url: str | None = None
    sla_api_token: SecretStr | None = None

    def approving_units(self) -> frozenset[str]:
        """The unit codes of ``approval_units``."""
        return frozenset(x.strip() for x in self.approval_units.split(",") if x.strip())

    def contacts_keys(self) -> list[str]:
        """Every contacts key, the sealing one first."""
        return [k.get_secret_value() for k in (self.contacts_key, *self.contacts_previous_keys)]


class NotifySettings(BaseServiceSettings):
    """Everything the composition root needs."""

    service_name: str = "notify"
    http_port: int = 8003
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notify: NotifyOptions = Field(default_factory=NotifyOptions)
    units: UnitDirectorySettings = Field(default_factory=UnitDirectorySettings)

    @model_validator(mode="after")
    def _no_placeholders(self) -> NotifySettings:
        refuse_placeholders(self.env, [t.token_hash for t in self.auth.tokens], "auth tokens")
        o = self.notify
        if self.env not in (Environment.DEVELOPMENT, Environment.TEST):
            if DEV_CONTACTS_KEY in o.contacts_keys():
                raise ValueError("contacts_key: the development key is configured in " + self.env)
            if o.channels != "real":
                raise ValueError(f"channels: {o.channels!r} would send nothing in {self.env}")
            if o.dost_webhook_secret is None:
                raise ValueError("dost_webhook_secret: webhooks are signed in " + self.env)
        if o.channels == "real":
            missing = [name for name in _ENDPOINTS if not getattr(o, name)]
            if missing:
                raise ValueError(f"channels=real needs {', '.join(missing)} set")
        return self


#: What real channels need named: no default points anywhere (the pod itself least of all).
_ENDPOINTS = ("smtp_host", "sms_url", "dost_webhook_url")

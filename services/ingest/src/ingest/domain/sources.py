"""Sources allowed to push events: their hashed API keys, signing secrets and rate limits."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import BaseModel, ConfigDict, Field


class RateLimit(BaseModel):
    """A token bucket's refill rate (events per second) and size (burst)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events_per_s: float = Field(default=20_000.0, gt=0)
    burst: int = Field(default=100_000, ge=1)


class SourceConfig(BaseModel):
    """One sending system (CloudEvents `source`), e.g. ``igate-quangtri``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    # Several hashes so a key can be rotated without downtime: add the new, then drop the old.
    key_hashes: list[str] = Field(min_length=1)
    # Standard Webhooks secrets (``whsec_<base64>`` or raw text); several while rotating.
    signing_secrets: list[str] = Field(default_factory=list)
    rate_limit: RateLimit = Field(default_factory=RateLimit)

    @property
    def signs(self) -> bool:
        """True when this source must sign its requests."""
        return bool(self.signing_secrets)


def _digest(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def find_source(sources: list[SourceConfig], presented_key: str) -> SourceConfig | None:
    """The source owning a presented API key; every stored hash is compared in constant time."""
    wanted = _digest(presented_key)
    found: SourceConfig | None = None
    for source in sources:
        for stored in source.key_hashes:
            # No early exit: the time taken does not tell which key (or how many) matched.
            if hmac.compare_digest(stored, wanted) and found is None:
                found = source
    return found

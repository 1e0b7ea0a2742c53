"""A token bucket per source, fed with the current time by its caller (no clock reads here)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ingest.domain.sources import RateLimit


@dataclass(slots=True)
class TokenBucket:
    """Refills at ``rate`` events/s up to ``burst``; a request takes one token per event.

    A request larger than what is available is admitted when at least ``min(n, burst)`` tokens are
    there and leaves the bucket in debt, so a batch bigger than the burst is never refused forever.
    """

    rate: float
    burst: int
    tokens: float
    updated_s: float

    @classmethod
    def full(cls, limit: RateLimit, now_s: float) -> TokenBucket:
        """A bucket that starts full."""
        return cls(limit.events_per_s, limit.burst, float(limit.burst), now_s)

    def take(self, events: int, now_s: float) -> float:
        """Take tokens for ``events``; return 0 if admitted, else the seconds to wait."""
        wait = self.wait(events, now_s)
        if wait == 0.0:
            self.tokens -= events
        return wait

    def wait(self, events: int, now_s: float) -> float:
        """The seconds until ``events`` would be admitted (0: now), taking nothing."""
        elapsed = max(now_s - self.updated_s, 0.0)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated_s = now_s
        needed = min(events, self.burst)
        return 0.0 if self.tokens >= needed else (needed - self.tokens) / self.rate


def retry_after_header(wait_s: float) -> str:
    """The ``Retry-After`` value (whole seconds, at least 1) for a wait."""
    return str(max(1, math.ceil(wait_s)))

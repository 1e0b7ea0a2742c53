"""Conditions that make a process not ready while they hold, for ``/readyz``.

A consumer retrying an outage without limit, a dead-letter topic that refuses records, a
background loop whose rounds keep failing: each sets a named condition and clears it when the
work goes through again. ``/readyz`` answers 503 while any holds, so the stall is visible to
the orchestrator and the alerts instead of a silent loop.
"""

from __future__ import annotations


class NotReadyError(RuntimeError):
    """Raised by `Conditions.check` while a condition holds."""


class Conditions:
    """Named conditions set and cleared by the process's workers."""

    def __init__(self) -> None:
        self._held: dict[str, str] = {}

    def hold(self, name: str, detail: str) -> None:
        """Record that ``name`` holds (the work it names is stalled), with why."""
        self._held[name] = detail[:300]

    def clear(self, name: str) -> None:
        """Record that ``name`` no longer holds."""
        self._held.pop(name, None)

    @property
    def held(self) -> dict[str, str]:
        """The conditions holding now, with their details."""
        return dict(self._held)

    async def check(self) -> None:
        """A readiness check: raise while any condition holds."""
        if self._held:
            raise NotReadyError("; ".join(f"{k}: {v}" for k, v in sorted(self._held.items())))

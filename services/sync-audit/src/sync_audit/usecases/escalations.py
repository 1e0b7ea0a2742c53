"""DOST's commands on an escalation: acknowledge and resolve (open → acknowledged → resolved)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sync_audit.domain import escalations as esc
from sync_audit.domain.model import Escalation
from sync_audit.ports import AuditMetrics, Clock, UnitOfWorkFactory
from sync_audit.usecases.evaluate import emit_resolved
from sync_audit.usecases.record import refresh_open_gauge


class UnknownEscalationError(LookupError):
    """No escalation has this id (HTTP 404)."""


Transition = Callable[[Escalation, datetime, str | None], Escalation]


class ChangeEscalation:
    """Apply one manual transition; the resolution is published through the outbox."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: AuditMetrics) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def acknowledge(self, escalation_id: str, note: str | None) -> Escalation:
        """open → acknowledged."""
        return await self._apply(escalation_id, note, esc.acknowledge)

    async def resolve(self, escalation_id: str, note: str | None) -> Escalation:
        """open | acknowledged → resolved (manual)."""
        return await self._apply(escalation_id, note, esc.resolve)

    async def _apply(self, escalation_id: str, note: str | None, move: Transition) -> Escalation:
        async with self._uow() as uow:
            current = await uow.repo.escalation(escalation_id, for_update=True)
            if current is None:
                raise UnknownEscalationError(escalation_id)
            changed = move(current, self._clock.now(), note)
            await uow.repo.save_escalations([changed])
            if changed.status == "resolved":
                await emit_resolved(uow, changed)
            await uow.commit()
        await refresh_open_gauge(self._metrics, self._uow)
        return changed

"""Read-side use-cases: a dossier's attribution, escalations, the monthly correction list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sync_audit.domain.model import CurrentAttribution, Escalation, Revision
from sync_audit.ports import Clock, UnitOfWorkFactory


@dataclass(frozen=True)
class AttributionWithHistory:
    """The current attribution and every revision before it."""

    current: CurrentAttribution
    revisions: list[Revision]


class AuditQueries:
    """Queries for the HTTP API, each in its own read transaction."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def attribution(self, dossier_id: str) -> AttributionWithHistory | None:
        """The attribution of a dossier with its history, or None when unknown."""
        async with self._uow() as uow:
            current = await uow.repo.attribution(dossier_id)
            if current is None:
                return None
            return AttributionWithHistory(current, await uow.repo.revisions(dossier_id))

    async def escalation(self, escalation_id: str) -> Escalation | None:
        """One escalation."""
        async with self._uow() as uow:
            return await uow.repo.escalation(escalation_id)

    async def escalations(
        self,
        status: str | None,
        cause: str | None,
        unit_code: str | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[Escalation]:
        """A page of escalations, oldest first."""
        async with self._uow() as uow:
            return await uow.repo.list_escalations(status, cause, unit_code, limit, after)

    async def corrections(self, period: str, unit_code: str | None) -> list[CurrentAttribution]:
        """The month's dossiers whose cause is a software or sync error."""
        async with self._uow() as uow:
            return await uow.repo.corrections(period, unit_code)

    async def portal_checks(
        self, period: str, unit_code: str | None, limit: int, after: str | None
    ) -> list[CurrentAttribution]:
        """The month's dossiers past their due date whose portal view is unknown."""
        async with self._uow() as uow:
            now = self._clock.now()
            return await uow.repo.portal_checks(period, unit_code, now, limit, after)

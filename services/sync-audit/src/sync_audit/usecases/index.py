"""The portal's index answers: store one (checked, matched to units), answer the points at stake
of a month, and keep the points-at-stake metric current (docs/domain.md §7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dunghan_common.units import UnitDirectory

from sync_audit.domain.gap import IndexGap, index_gap
from sync_audit.domain.index import PortalAnswer, parse_answer
from sync_audit.ports import Clock, IndexMetrics, IndexStore

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OTHER = "other"


class Units(Protocol):
    """The unit directory in force (`dunghan_common.units.UnitDirectorySource`)."""

    def current(self) -> UnitDirectory:
        """The directory now."""
        ...


@dataclass(frozen=True)
class StoredAnswer:
    """What storing an answer did: the units it matched, the departments it did not."""

    period: str
    departments: int
    matched: int
    unmatched: list[str]


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a `YYYY-MM` month in Asia/Ho_Chi_Minh."""
    year, month = (int(p) for p in period.split("-"))
    start = dt.datetime(year, month, 1, tzinfo=TZ)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TZ)
    return start, end


class PortalIndex:
    """Store the portal's answers; compute the gap; publish the points at stake."""

    def __init__(
        self, store: IndexStore, units: Units, clock: Clock, metrics: IndexMetrics
    ) -> None:
        self._store, self._units, self._clock, self._metrics = store, units, clock, metrics

    async def put(self, period: str, raw: Any, source: str) -> StoredAnswer:
        """Check the answer field by field (`AnswerRefusedError`: nothing stored), then store it."""
        answer = parse_answer(raw)  # refuses anything but an object, so `raw` is a dict below
        month_bounds(period)  # a malformed period fails before anything is stored
        await self._store.save_answer(period, dict(raw), source, self._clock.now())
        unmatched = self._unmatched(answer)
        return StoredAnswer(
            period=period,
            departments=len(answer.children),
            matched=len(answer.children) - len(unmatched),
            unmatched=unmatched,
        )

    async def gap(self, period: str) -> IndexGap | None:
        """The month's points at stake, or None when no answer of the portal is stored."""
        raw = await self._store.answer(period)
        if raw is None:
            return None
        answer = parse_answer(raw)
        start, end = month_bounds(period)
        tallies, dossiers = await self._store.month(start, end, None)
        directory = self._units.current()

        def unit_of(department_code: str) -> str | None:
            found = directory.by_department_code(department_code)
            return found.code if found is not None else None

        return index_gap(period, answer, unit_of, tallies, dossiers)

    async def refresh_metric(self) -> str | None:
        """Set the metric from the latest month with an answer; return that month."""
        period = await self._store.latest_period()
        found = await self.gap(period) if period is not None else None
        if found is None:
            return None
        directory = self._units.current()
        points: dict[str, float] = {}
        for u in found.units:
            if u.points_at_stake is None:
                continue
            # labels bounded to the directory: a unit it does not know is counted as `other`
            label = u.unit_code if u.unit_code in directory else OTHER
            points[label] = round(points.get(label, 0.0) + u.points_at_stake, 2)
        self._metrics.points_at_stake(points)
        return period

    def _unmatched(self, answer: PortalAnswer) -> list[str]:
        directory = self._units.current()
        codes = (d.department_code for d in answer.children)
        return sorted(c for c in codes if directory.by_department_code(c) is None)

"""Monthly KPIs per unit and province (docs/domain.md §7) and the yearly targets they meet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

Rate = float | None
RATE_NAMES = (
    "on_time_rate",
    "online_submission_rate",
    "online_payment_rate",
    "digitization_rate",
    "sync_rate",
)


class Targets(BaseModel):
    """Minimum rates for a year (config/targets/<year>.toml); a missing one is not checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    on_time_rate: float | None = Field(default=None, ge=0, le=1)
    online_submission_rate: float | None = Field(default=None, ge=0, le=1)
    online_payment_rate: float | None = Field(default=None, ge=0, le=1)
    digitization_rate: float | None = Field(default=None, ge=0, le=1)
    sync_rate: float | None = Field(default=None, ge=0, le=1)


class KpiCounts(BaseModel):
    """The counts of one unit (or the province) for one month."""

    model_config = ConfigDict(frozen=True)

    unit_code: str | None = None
    received: int = 0
    received_online: int = 0
    fee_required: int = 0
    paid_online: int = 0
    synced: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    e_result_required: int = 0
    digitized: int = 0
    open_overdue: int = 0
    overdue_at_period_end: int = 0

    def __add__(self, other: KpiCounts) -> KpiCounts:
        """Sum two units' counts (the province is the sum of its units)."""
        fields = type(self).model_fields
        summed = {k: getattr(self, k) + getattr(other, k) for k in fields if k != "unit_code"}
        return KpiCounts(**summed)


class KpiRow(BaseModel):
    """One unit's (or the province's) figures, as the API returns them."""

    unit_code: str | None = None
    received: int
    finished: int
    early: int
    on_time: int
    late: int
    open_overdue: int
    overdue_at_period_end: int
    on_time_rate: Rate
    online_submission_rate: Rate
    online_payment_rate: Rate
    digitization_rate: Rate
    sync_rate: Rate
    below_target: list[str]


def _rate(numerator: int, denominator: int) -> Rate:
    return None if denominator == 0 else numerator / denominator


def kpi_row(counts: KpiCounts, targets: Targets | None) -> KpiRow:
    """Rates (None when the denominator is zero) and the KPI names under their target."""
    rates: dict[str, Rate] = {
        "on_time_rate": _rate(counts.early + counts.on_time, counts.finished),
        "online_submission_rate": _rate(counts.received_online, counts.received),
        "online_payment_rate": _rate(counts.paid_online, counts.fee_required),
        "digitization_rate": _rate(counts.digitized, counts.e_result_required),
        "sync_rate": _rate(counts.synced, counts.received),
    }
    below = [name for name in RATE_NAMES if _below(rates[name], targets, name)]
    return KpiRow(
        unit_code=counts.unit_code,
        received=counts.received,
        finished=counts.finished,
        early=counts.early,
        on_time=counts.on_time,
        late=counts.late,
        open_overdue=counts.open_overdue,
        overdue_at_period_end=counts.overdue_at_period_end,
        below_target=below,
        **rates,
    )


def _below(rate: Rate, targets: Targets | None, name: str) -> bool:
    target = None if targets is None else getattr(targets, name)
    return rate is not None and target is not None and rate < target


def province(units: Iterable[KpiCounts]) -> KpiCounts:
    """The province's counts: the sum over its units."""
    total = KpiCounts()
    for unit in units:
        total = total + unit
    return total


def targets_for(targets: Mapping[int, Targets], year: int) -> tuple[Targets | None, bool]:
    """The targets a year is held to, and whether they are carried over from an earlier year
    (a year without its own file uses the last one before it, marked so)."""
    if year in targets:
        return targets[year], False
    earlier = [y for y in targets if y < year]
    if not earlier:
        return None, False
    return targets[max(earlier)], True

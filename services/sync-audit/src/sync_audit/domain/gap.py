"""Index points at stake (docs/domain.md §7): the portal's figures beside the local truth.

Per unit and month, of the dossiers received in the month: ``local`` counts on time every one
sla did not call late (``late``/``overdue``), the portal's way (overdue = received − on time);
``corrected`` counts on time, as well, those late because of a sync or software fault (§6). The
points at stake are corrected score − portal score. The dossiers behind the difference are
listed by cause: those late locally account for corrected − local; the sync errors, on time
locally, for what the portal counts late that the province does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from dunghan_common.events.findings import Evidence
from pydantic import BaseModel, ConfigDict

from sync_audit.domain.index import Figures, PortalAnswer, computed, points_at_stake
from sync_audit.domain.model import PortalStatus

FAULT_CAUSES = ("sync_error", "software_error")
LATE = frozenset({"late", "overdue"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class UnitTally(_Frozen):
    """The month's receptions of one unit, counted the portal's way from the attributions."""

    unit_code: str
    received: int
    #: not called late by sla (open within time, early, on time)
    on_time: int
    #: called late by sla, and the cause is a sync or software fault
    fault_late: int


class GapDossier(_Frozen):
    """A dossier behind the difference: its cause, the local verdict, and the evidence."""

    dossier_id: str
    unit_code: str
    cause: str
    local_timeliness: str
    portal_view: PortalStatus
    due_at: datetime
    finished_at: datetime | None = None
    #: late locally, counted on time in ``corrected``
    counted_on_time: bool
    evidence: list[Evidence]


class UnitGap(_Frozen):
    """One unit's three sets of figures, the points at stake and the dossiers behind them."""

    unit_code: str
    department_code: str | None
    portal: Figures | None
    local: Figures
    corrected: Figures
    points_at_stake: float | None
    by_cause: dict[str, list[GapDossier]]


class ProvinceGap(_Frozen):
    """The province's figures (the portal's ``parent``) beside the sums of the local ones."""

    portal: Figures
    local: Figures
    corrected: Figures
    points_at_stake: float | None


class IndexGap(_Frozen):
    """The answer of ``GET /v1/index-gap``."""

    period: str
    province: ProvinceGap
    units: list[UnitGap]
    unmatched: list[str]


def index_gap(
    period: str,
    answer: PortalAnswer,
    unit_of: Callable[[str], str | None],
    tallies: Iterable[UnitTally],
    dossiers: Iterable[GapDossier],
) -> IndexGap:
    """Match the portal's departments to units, and set each beside its local figures.

    A department no unit answers to is listed in ``unmatched``, never dropped; a unit with
    receptions the portal does not list has ``portal`` null.
    """
    portal: dict[str, tuple[str, Figures]] = {}
    unmatched: list[str] = []
    for d in answer.children:
        code = unit_of(d.department_code)
        if code is None:
            unmatched.append(d.department_code)
        else:
            portal[code] = (d.department_code, d.figures)
    local = {t.unit_code: t for t in tallies}
    listed: dict[str, dict[str, list[GapDossier]]] = {}
    for g in dossiers:
        listed.setdefault(g.unit_code, {c: [] for c in FAULT_CAUSES})[g.cause].append(g)
    units = [
        _unit(code, portal.get(code), local.get(code), listed.get(code))
        for code in sorted(portal.keys() | local.keys())
    ]
    return IndexGap(
        period=period,
        province=_province(answer.parent.figures, list(local.values())),
        units=units,
        unmatched=sorted(unmatched),
    )


def _unit(
    unit_code: str,
    portal: tuple[str, Figures] | None,
    tally: UnitTally | None,
    listed: dict[str, list[GapDossier]] | None,
) -> UnitGap:
    tally = tally or UnitTally(unit_code=unit_code, received=0, on_time=0, fault_late=0)
    local = computed(tally.received, tally.on_time)
    corrected = computed(tally.received, tally.on_time + tally.fault_late)
    figures = portal[1] if portal else None
    return UnitGap(
        unit_code=unit_code,
        department_code=portal[0] if portal else None,
        portal=figures,
        local=local,
        corrected=corrected,
        points_at_stake=points_at_stake(corrected, figures),
        by_cause=listed or {c: [] for c in FAULT_CAUSES},
    )


def _province(portal: Figures, tallies: list[UnitTally]) -> ProvinceGap:
    received = sum(t.received for t in tallies)
    on_time = sum(t.on_time for t in tallies)
    corrected = computed(received, on_time + sum(t.fault_late for t in tallies))
    return ProvinceGap(
        portal=portal,
        local=computed(received, on_time),
        corrected=corrected,
        points_at_stake=points_at_stake(corrected, portal),
    )


def counted_on_time(local_timeliness: str, cause: str) -> bool:
    """Whether ``corrected`` counts this dossier on time though ``local`` does not."""
    return local_timeliness in LATE and cause in FAULT_CAUSES

"""Versioned rule sets of the clock, keyed by reception date (before / from 2025-07-01)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SupplementRule = Literal["pause", "restart"]


class RuleSet(BaseModel):
    """The clock rules in force for dossiers received on or after ``valid_from``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    valid_from: dt.date
    late_reception_cutoff: dt.time | None = dt.time(15, 0)
    apology_window_working_days: int = Field(default=1, ge=0, le=30)
    supplement_rule: SupplementRule = "pause"
    supplement_rule_by_procedure: dict[str, SupplementRule] = {}
    mismatch_tolerance_seconds: int = Field(default=3600, ge=0)
    supplement_twice_counts_late: bool = True

    def supplement_rule_for(self, procedure_code: str | None) -> SupplementRule:
        """The supplement rule of a procedure: its own if configured, else the default."""
        if procedure_code is None:
            return self.supplement_rule
        return self.supplement_rule_by_procedure.get(procedure_code, self.supplement_rule)


class RuleBook(BaseModel):
    """Every rule set, sorted by ``valid_from``; picks the one in force at a reception date."""

    model_config = ConfigDict(frozen=True)

    rule_sets: tuple[RuleSet, ...]

    @classmethod
    def of(cls, rule_sets: Sequence[RuleSet]) -> RuleBook:
        """Build a rule book; refuses none and two sets starting on the same day."""
        ordered = tuple(sorted(rule_sets, key=lambda r: r.valid_from))
        if not ordered:
            raise ValueError("at least one rule set is needed")
        if len({r.valid_from for r in ordered}) != len(ordered):
            raise ValueError("two rule sets start on the same day")
        return cls(rule_sets=ordered)

    def for_reception(self, day: dt.date) -> RuleSet:
        """The rule set in force on ``day`` (the earliest set before the first start date)."""
        chosen = self.rule_sets[0]
        for rule_set in self.rule_sets:
            if rule_set.valid_from <= day:
                chosen = rule_set
        return chosen

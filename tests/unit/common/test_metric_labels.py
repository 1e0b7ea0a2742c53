"""Per-unit metric labels are bounded: a unit outside the known set is counted as `other`."""

from __future__ import annotations

from dunghan_common.metrics import OTHER_UNIT, UnitLabels


def test_a_known_unit_labels_itself_and_any_other_code_is_other() -> None:
    labels = UnitLabels({"000.00.12.H50"})
    assert labels("000.00.12.H50") == "000.00.12.H50"
    assert labels("forged-" + "x" * 200) == OTHER_UNIT
    assert labels(None) == OTHER_UNIT
    assert labels("") == OTHER_UNIT


def test_the_known_set_may_be_a_predicate_read_at_each_call() -> None:
    directory = {"A"}
    labels = UnitLabels(lambda code: code in directory)
    assert labels("B") == OTHER_UNIT
    directory.add("B")  # a directory reloaded while the process runs
    assert labels("B") == "B"


def test_counts_of_unknown_units_are_summed_under_other() -> None:
    labels = UnitLabels({"A"})
    counts = {"A": (3, 1), "x1": (2, 2), "x2": (5, 0)}
    assert labels.totals(counts) == {"A": (3, 1), OTHER_UNIT: (7, 2)}

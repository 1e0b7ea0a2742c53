"""The snapshot store's lists travel as one text, a line per element (dvcqg_store.py)."""

import pytest
from ingest.adapters.dvcqg_store import lines


def test_codes_and_held_states_become_one_line_each() -> None:
    assert lines(["000.00.12.H50-1", '{"code":"a\\nb"}']) == '000.00.12.H50-1\n{"code":"a\\nb"}'
    assert lines([]) == ""


def test_a_value_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        lines(["a", "b\nc"])

"""Rule books, KPI rows, alerts and cursors: the small pure pieces around the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sla.adapters.config_files import load_rules, load_targets
from sla.adapters.cursor import CursorError, decode_cursor, encode_cursor
from sla.domain.alerts import projection_alerts, timer_alert
from sla.domain.fold import fold
from sla.domain.kpis import KpiCounts, kpi_row, province
from sla.domain.rules import RuleBook, RuleSet

from tests.unit.sla.helpers import DOSSIER, ROOT, at, calendar, event, received, rules


def test_rule_sets_are_chosen_by_reception_date() -> None:
    book = load_rules(ROOT / "config" / "sla")
    assert book.for_reception(dt.date(2025, 6, 30)).name == "nd61-2018"
    assert book.for_reception(dt.date(2025, 7, 1)).name == "nd118-2025"
    assert book.for_reception(dt.date(2010, 1, 1)).name == "nd61-2018"


def test_a_rule_book_refuses_two_sets_on_one_day() -> None:
    same = [RuleSet(name=n, valid_from=dt.date(2025, 7, 1)) for n in ("a", "b")]
    with pytest.raises(ValueError):
        RuleBook.of(same)


def test_targets_are_read_per_year() -> None:
    targets = load_targets(ROOT / "config" / "targets")
    assert {2025, 2026} <= set(targets)
    assert targets[2026].online_submission_rate == 0.8


def test_kpi_rates_are_null_without_denominator_and_below_target_is_listed() -> None:
    targets = load_targets(ROOT / "config" / "targets")[2026]
    counts = KpiCounts(unit_code="U", received=4, received_online=4, finished=2, late=1, early=1)
    row = kpi_row(counts, targets)
    assert row.on_time_rate == 0.5
    assert row.online_submission_rate == 1.0
    assert row.online_payment_rate is None
    assert row.below_target == ["on_time_rate", "sync_rate"]
    assert province([counts, counts]).received == 8


def test_overdue_at_the_period_end_is_carried_beside_overdue_now() -> None:
    counts = KpiCounts(unit_code="U", received=3, open_overdue=1, overdue_at_period_end=2)
    row = kpi_row(counts, None)
    assert (row.open_overdue, row.overdue_at_period_end) == (1, 2)
    assert province([counts, counts]).overdue_at_period_end == 4


def test_flag_and_finished_late_alerts_have_deterministic_ids() -> None:
    events = [
        received("2025-08-04 07:00", 1, due_at="2025-08-06T17:00:00+07:00"),
        event("result_ready", "2025-08-07 09:00"),
    ]
    state = fold(DOSSIER, events, rules(), calendar())
    alerts = projection_alerts(state)
    assert [a.type for a in alerts] == ["sla.flag_raised", "sla.finished_late"]
    assert alerts[0].event_id == f"{DOSSIER}:flag:deadline_mismatch"
    assert alerts[1].event_id == f"{DOSSIER}:finished_late:2025-08-06T17:00:00+07:00"
    assert projection_alerts(fold(DOSSIER, events, rules(), calendar())) == alerts


def test_timer_alerts_carry_the_due_date_they_were_set_for() -> None:
    state = fold(DOSSIER, [received("2025-08-04 07:00", 1)], rules(), calendar())
    window = timer_alert(state, "apology_window", at("2025-08-04 17:00"), at("2025-08-01 17:00"))
    assert window is not None
    assert window.type == "sla.apology_window_opened"
    assert window.data["window_opened_at"] == "2025-08-01T17:00:00+07:00"


def test_cursor_round_trip_and_garbage() -> None:
    moment = at("2025-08-04 17:00")
    assert decode_cursor(encode_cursor(moment, "D-1")) == (moment, "D-1")
    for bad in ("!!", "W10", encode_cursor(moment, "D")[:-3]):
        with pytest.raises(CursorError):
            decode_cursor(bad)

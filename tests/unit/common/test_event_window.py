"""The accepted window of event times: from 2018 (Vietnam time) to the clock plus a margin."""

from __future__ import annotations

import datetime as dt

from dunghan_common.events.window import EARLIEST_EVENT_TIME, in_window, window_problem

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def test_the_window_ends_a_margin_after_now_and_starts_in_2018() -> None:
    assert in_window(NOW, NOW)
    assert in_window(NOW + dt.timedelta(hours=23, minutes=59), NOW)
    assert not in_window(NOW + dt.timedelta(days=1, seconds=1), NOW)
    assert in_window(NOW + dt.timedelta(hours=2), NOW, dt.timedelta(hours=3))
    assert in_window(EARLIEST_EVENT_TIME, NOW)
    assert not in_window(EARLIEST_EVENT_TIME - dt.timedelta(seconds=1), NOW)
    assert EARLIEST_EVENT_TIME.astimezone(dt.UTC) == dt.datetime(2017, 12, 31, 17, tzinfo=dt.UTC)


def test_a_refusal_says_which_bound() -> None:
    assert "2018-01-01" in (window_problem(dt.datetime(2017, 1, 1, tzinfo=dt.UTC), NOW) or "")
    assert "24 h ahead" in (window_problem(dt.datetime(2099, 1, 1, tzinfo=dt.UTC), NOW) or "")

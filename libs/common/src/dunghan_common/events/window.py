"""The window of event times the system accepts: from 2018 (the oldest rule set) to now + a margin.

One definition for every service: ingest refuses an event outside it (422 naming ``time``); a
consumer that meets one already on a topic (older data, a replay) applies it as nothing: it
neither ends a dossier nor moves a watermark.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

#: The first instant an event may carry: 1 January 2018, Vietnam time (Nghị định 61/2018's year).
EARLIEST_EVENT_TIME: Final = dt.datetime(2018, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
#: How far ahead of the receiver's clock an event time may be (a source's clock running fast).
DEFAULT_FUTURE_MARGIN: Final = dt.timedelta(days=1)


def window_problem(
    time: dt.datetime, now: dt.datetime, margin: dt.timedelta = DEFAULT_FUTURE_MARGIN
) -> str | None:
    """Why ``time`` is outside the window at ``now``; None when it is inside."""
    if time < EARLIEST_EVENT_TIME:
        return f"event time before {EARLIEST_EVENT_TIME.date().isoformat()} is not accepted"
    if time > now + margin:
        hours = margin.total_seconds() / 3600
        return f"event time more than {hours:g} h ahead of the receiver's clock is not accepted"
    return None


def in_window(
    time: dt.datetime, now: dt.datetime, margin: dt.timedelta = DEFAULT_FUTURE_MARGIN
) -> bool:
    """Whether ``time`` lies inside the window at ``now``."""
    return window_problem(time, now, margin) is None

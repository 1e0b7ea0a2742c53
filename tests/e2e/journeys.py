"""Building blocks of the end-to-end journeys: events of one dossier, pushing, polling the APIs.

Events are copies of `dunghan_common.events.EXAMPLES` with a unique id and subject and the time
each journey needs. Expected due dates come from the same business calendar the services load
(config/calendar), never from hand arithmetic. Each journey uses its own dates (a month of its
own in 2025) so that outages, which apply to every dossier due inside them, touch only theirs.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson
from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.events import EXAMPLES

from tests.e2e.system import INGEST_KEY, ROOT, System

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNIT = "000.00.12.H50"
POLL_TIMEOUT_S = 60.0
T = TypeVar("T")


@cache
def calendar() -> BusinessCalendar:
    """The calendar the services use (same override files)."""
    return load_calendar(ROOT / "config/calendar")


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A local (Asia/Ho_Chi_Minh) instant."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def recent_working_day(days_ago: int) -> dt.datetime:
    """09:00 on the first working day at least ``days_ago`` calendar days before today."""
    day = dt.datetime.now(TZ).date() - dt.timedelta(days=days_ago)
    while not calendar().is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(9), TZ)


def due(received: dt.datetime, days: int) -> dt.datetime:
    """The computed due date of a dossier received at ``received`` with ``days`` working days."""
    cal = calendar()
    return cal.due_at(cal.clock_start(received), days, "working_days")


def iso(t: dt.datetime) -> str:
    """RFC 3339 with offset, as the API answers (local time)."""
    return t.astimezone(TZ).isoformat()


def same_instant(answer: str | None, expected: dt.datetime) -> bool:
    """Whether an API timestamp is the expected instant."""
    return answer is not None and dt.datetime.fromisoformat(answer) == expected


class Dossier:
    """One dossier's events, with a code no other test uses."""

    def __init__(self, tag: str, unit: str = UNIT) -> None:
        self.code = f"{unit}-{tag}-{uuid.uuid4().hex[:8]}"
        self.unit = unit
        self.sent: list[dict[str, Any]] = []

    def event(
        self, kind: str, at: dt.datetime, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An event of ``kind`` about this dossier at ``at``; ``data`` overrides the example's."""
        event = copy.deepcopy(EXAMPLES[kind])
        event["id"] = str(uuid.uuid4())
        event["subject"] = self.code
        event["time"] = iso(at)
        if data is not None:
            event["data"] = {**event["data"], **data}
        self.sent.append(event)
        return event

    def received(
        self,
        at: dt.datetime,
        days: int = 3,
        *,
        channel: str = "online",
        fee: bool = False,
        e_result: bool = True,
        due_at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """`dossier.received` with a working-days limit; no printed appointment unless given."""
        event = self.event(
            "dossier.received",
            at,
            {
                "unit_code": self.unit,
                "time_limit": {"value": days, "unit": "working_days"},
                "channel": channel,
                "fee_required": fee,
                "e_result_required": e_result,
            },
        )
        if due_at is None:
            del event["data"]["due_at"]
        else:
            event["data"]["due_at"] = iso(due_at)
        return event

    def result_ready(self, at: dt.datetime) -> dict[str, Any]:
        """`dossier.result_ready` at ``at``: the end of processing."""
        return self.event("dossier.result_ready", at)


async def push(system: System, events: list[dict[str, Any]]) -> dict[str, Any]:
    """POST a batch to ingest as the development source; the 202 body."""
    async with system.client("ingest", token=INGEST_KEY) as client:
        answer = await client.post(
            "/v1/events",
            content=orjson.dumps(events),
            headers={"Content-Type": "application/cloudevents-batch+json"},
        )
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


async def poll(
    fetch: Callable[[], Awaitable[T]],
    until: Callable[[T], bool],
    timeout_s: float = POLL_TIMEOUT_S,
    what: str = "",
) -> T:
    """Call ``fetch`` until ``until`` holds; fail with the last value after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await fetch()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: last value {value!r}")
        await asyncio.sleep(0.25)


async def get_json(system: System, service: str, path: str, **params: Any) -> Any:
    """GET a query API with the ops token: the JSON body, or None on 404."""
    async with system.client(service) as client:
        answer = await client.get(path, params=params)
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, f"{service} {path}: {answer.status_code} {answer.text}"
    return answer.json()


async def sla_view(system: System, code: str, until: Callable[[Any], bool]) -> dict[str, Any]:
    """The dossier as sla shows it, once ``until`` holds."""
    return dict(
        await poll(
            lambda: get_json(system, "sla", f"/v1/dossiers/{code}"),
            lambda v: v is not None and until(v),
            what=f"sla view of {code}",
        )
    )


async def attribution(system: System, code: str, cause: str) -> dict[str, Any]:
    """The dossier's attribution by sync-audit, once it has ``cause``."""
    return dict(
        await poll(
            lambda: get_json(system, "sync-audit", f"/v1/dossiers/{code}/attribution"),
            lambda v: v is not None and v["cause"] == cause,
            what=f"attribution {cause} of {code}",
        )
    )


async def notifications(system: System, code: str, kind: str) -> list[dict[str, Any]]:
    """Notify's notifications of one kind about one dossier (one page is plenty here)."""
    page = await get_json(system, "notify", "/v1/notifications", dossier_id=code, kind=kind)
    return list(page["items"])


async def apologies(system: System, code: str, count: int = 1) -> list[dict[str, Any]]:
    """The dossier's apology notifications once at least ``count`` exist."""
    return await poll(
        lambda: notifications(system, code, "apology"),
        lambda items: len(items) >= count,
        what=f"apology notifications of {code}",
    )


async def letter(system: System, notification_id: int) -> str:
    """The apology letter's HTML."""
    async with system.client("notify") as client:
        answer = await client.get(f"/v1/notifications/{notification_id}/letter")
    assert answer.status_code == 200, answer.text
    return answer.text

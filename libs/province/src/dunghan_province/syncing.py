"""Where generated events go: the month's sink, and each dossier's pushes to the national portal.

Every status change of a synced dossier is pushed to DVCQG a few seconds later: most pushes
succeed at once; some fail and are retried with exponential backoff (a retry storm); every push
during the outage fails and is retried after it; a finishing status may never arrive (`lost`) or
arrive after the due date (`late`). Events later than `as_of` are not emitted: the source has not
sent them yet.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from dunghan_common.calendar import BusinessCalendar

from dunghan_province.fate import FinalSync
from dunghan_province.shares import Shares
from dunghan_province.timefmt import iso

STATUS_CODES: Final = {
    "dossier.submitted": 1,
    "dossier.received": 2,
    "dossier.refused": 3,
    "dossier.assigned": 4,
    "dossier.transferred": 4,
    "dossier.supplement_requested": 5,
    "dossier.supplement_received": 4,
    "dossier.paused": 6,
    "dossier.resumed": 4,
    "dossier.withdrawn": 7,
    "dossier.stopped": 8,
    "dossier.result_ready": 9,
    "dossier.returned": 10,
}
_SYNC_ERRORS: Final = (
    ("HTTP_504", "Gateway Timeout từ DVCQG"),
    ("HTTP_503", "DVCQG tạm ngừng dịch vụ"),
    ("E_TOKEN", "Phiên xác thực với DVCQG hết hạn"),
)
MAX_RETRIES: Final = 8
BACKOFF_S: Final = 30


@dataclass(frozen=True, slots=True)
class Outage:
    """One outage of the provincial system: [start, end) in epoch seconds."""

    start: int
    end: int
    outage_id: str
    component: str = "igate"

    def covers(self, t: int) -> bool:
        """Whether `t` falls inside the outage."""
        return self.start <= t < self.end


@dataclass(slots=True)
class Sink:
    """The month's events in emission order: a heap flushed as the generator moves on."""

    shares: Shares
    source: str
    as_of: int
    emitted: int = 0
    _heap: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    #: events the source sends only days later, after everything else (see `Shares.late_pause`)
    stragglers: list[dict[str, Any]] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)
    _seq: int = 0

    def add(
        self,
        rng: random.Random,
        subject: str | None,
        at: int,
        event_type: str,
        data: dict[str, Any],
        key: str,
        straggler: bool = False,
    ) -> None:
        """Queue one event; `key` numbers the ids (`<key>.<n>`) so they are stable and unique.

        `rng` is the dossier's own: its delivery delays depend on nothing else. A straggler is
        kept apart, to be sent after every other event of the month.
        """
        number = self._ids.get(key, 0) + 1
        self._ids[key] = number
        event: dict[str, Any] = {
            "specversion": "1.0",
            "id": f"{key}.{number:02d}",
            "source": self.source,
            "type": event_type,
            "time": iso(at),
        }
        if subject is not None:
            event["subject"] = subject
        event["data"] = data
        delayed = rng.random() < self.shares.delayed
        emit = at + (rng.randint(60, 21_600) if delayed else 0)
        resend = rng.random() < self.shares.resent
        if at > self.as_of:
            return
        if straggler:
            self.stragglers.append(event)
            return
        self._push(min(emit, self.as_of), event)
        if resend:
            self._push(min(emit + rng.randint(5, 3600), self.as_of), event)

    def _push(self, emit: int, event: dict[str, Any]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (emit, self._seq, event))

    def flush(self, before: int | None = None) -> Iterator[dict[str, Any]]:
        """Events emitted before `before` (all when None), in emission order."""
        while self._heap and (before is None or self._heap[0][0] < before):
            self.emitted += 1
            yield heapq.heappop(self._heap)[2]


@dataclass(slots=True)
class Pusher:
    """One dossier's emitter: its events, and their pushes to the portal when it is synced."""

    sink: Sink
    cal: BusinessCalendar
    shares: Shares
    outage: Outage
    centre: str
    official: Callable[[str], dict[str, Any]]
    rng: random.Random
    synced: bool = True
    last_synced: int = 0

    def event(
        self, code: str, at: int, event_type: str, data: dict[str, Any], straggler: bool = False
    ) -> None:
        """An event that the portal does not track as a status (a straggler comes days late)."""
        self.sink.add(self.rng, code, at, event_type, data, code, straggler)

    def status(self, code: str, at: int, event_type: str, data: dict[str, Any]) -> None:
        """A status change, pushed to the portal if the dossier is synced."""
        self.event(code, at, event_type, data)
        if self.synced:
            self._push(code, at, STATUS_CODES[event_type])

    def final(
        self, code: str, at: int, event_type: str, data: dict[str, Any], due: int, mode: FinalSync
    ) -> None:
        """A finishing status, whose push may be lost or late (a sync error on the portal)."""
        self.event(code, at, event_type, data)
        status = STATUS_CODES[event_type]
        if mode == "lost":
            self._fail(code, at + self.rng.randint(3, 90), status, self.rng.randint(3, MAX_RETRIES))
            snapshot = {"status_code": self.last_synced or 2, "due_at": iso(due)}
            self.sink.add(self.rng, code, max(at, due) + 86_400, "portal.snapshot", snapshot, code)
        elif mode == "late":
            first = at + self.rng.randint(3, 90)
            tries = self._fail(code, first, status, MAX_RETRIES)
            arrives = max(due, tries) + self.rng.randint(3600, 2 * 86_400)
            self._succeed(code, arrives, status)
        elif mode == "ok":
            self._push(code, at, status)

    def _push(self, code: str, at: int, status: int) -> None:
        """An ordinary push: the outage and the odd failure make it retry."""
        t = at + self.rng.randint(3, 90)
        if self.outage.covers(t):
            self._fail(code, t, status, 1, "HTTP_503")
            t = self.outage.end + self.rng.randint(5, 900)
        elif self.rng.random() < self.shares.sync_failure:
            failures = 1
            while failures < MAX_RETRIES - 1 and self.rng.random() < 0.5:
                failures += 1
            t = self._fail(code, t, status, failures)
        self._succeed(code, t, status)

    def _fail(self, code: str, t: int, status: int, times: int, error: str | None = None) -> int:
        """`times` failed pushes with exponential backoff; returns when the next try would be."""
        for attempt in range(times):
            error_code, message = self.rng.choice(_SYNC_ERRORS)
            if error is not None:
                error_code, message = error, dict(_SYNC_ERRORS)[error]
            data = {"status_code": status, "error_code": error_code, "error_message": message}
            self.sink.add(self.rng, code, t, "portal.sync_failed", data, code)
            t += BACKOFF_S * 2**attempt
        return t

    def _succeed(self, code: str, t: int, status: int) -> None:
        self.sink.add(self.rng, code, t, "portal.sync_succeeded", {"status_code": status}, code)
        self.last_synced = status

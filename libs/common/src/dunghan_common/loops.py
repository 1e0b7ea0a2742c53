"""The background loop every service runs its periodic work with, and its one error policy.

A loop calls its round again and again: at once while the round says more work waits, after
``interval_s`` otherwise. A round that raises never ends the loop (only cancellation does):

* the failure is classified like a consumer's (`dunghan_common.failures`): a transient one (the
  broker or database away, a SQLSTATE of a database in trouble) is logged as a warning, anything
  else with its traceback;
* the next round waits with capped exponential backoff (from ``interval_s``, at least 1 s, up to
  5 s or the interval if longer);
* from the third failure in a row the process reports not ready (`Conditions`) until a round
  goes through;
* every round is counted by outcome in ``dunghan_loop_rounds_total{loop, outcome}``.

Work a round could not do stays where it was (outbox rows, due timers, queued deliveries) and is
done by a later round: nothing is dropped by the policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter

from dunghan_common.failures import Failure, classify
from dunghan_common.health import Conditions

log = logging.getLogger(__name__)

#: A round of work; returns True when more work waits (the next round starts at once).
Round = Callable[[], Awaitable[bool]]
#: Consecutive failed rounds after which the process reports not ready.
NOT_READY_AFTER = 3
MAX_BACKOFF_S = 5.0

_counters: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def _rounds(registry: CollectorRegistry | None) -> Counter | None:
    """The rounds counter of a registry, created on first use (one per registry)."""
    if registry is None:
        return None
    counter = _counters.get(registry)
    if counter is None:
        counter = Counter(
            "dunghan_loop_rounds_total",
            "Rounds of the background loops, by loop and outcome (ok, transient, error).",
            ["loop", "outcome"],
            registry=registry,
        )
        _counters[registry] = counter
    return counter


async def run_forever(
    name: str,
    round_: Round,
    interval_s: float,
    *,
    registry: CollectorRegistry | None = None,
    conditions: Conditions | None = None,
    stop: asyncio.Event | None = None,
    min_backoff_s: float = 1.0,
) -> None:
    """Run ``round_`` until cancelled or ``stop`` is set, with the policy of this module."""
    stop = stop or asyncio.Event()
    counter = _rounds(registry)
    outcomes = ("ok", Failure.TRANSIENT.value, Failure.ERROR.value)
    if counter is not None:
        for outcome in outcomes:  # exported at 0, so the first failure shows as an increase
            counter.labels(loop=name, outcome=outcome)
    failures = 0
    while not stop.is_set():
        try:
            busy = await round_()
        except Exception as exc:
            failures += 1
            _failed(name, exc, failures, counter, conditions)
            await _wait(stop, _backoff(max(interval_s, min_backoff_s), failures))
            continue
        if failures and conditions is not None:
            conditions.clear(f"loop {name}")
        failures = 0
        if counter is not None:
            counter.labels(loop=name, outcome="ok").inc()
        if not busy:
            await _wait(stop, interval_s)


def _failed(
    name: str,
    exc: Exception,
    failures: int,
    counter: Counter | None,
    conditions: Conditions | None,
) -> None:
    kind = classify(exc)
    kind = Failure.ERROR if kind is Failure.POISON else kind
    if counter is not None:
        counter.labels(loop=name, outcome=kind.value).inc()
    extra = {"loop": name, "failures_in_a_row": failures}
    if kind is Failure.TRANSIENT:
        log.warning("loop round failed, retrying", extra={**extra, "error": repr(exc)[:500]})
    else:
        log.error("loop round failed, retrying", extra=extra, exc_info=exc)
    if failures >= NOT_READY_AFTER and conditions is not None:
        conditions.hold(f"loop {name}", f"{failures} rounds failed: {type(exc).__name__}")


def _backoff(base_s: float, failures: int) -> float:
    return float(min(base_s * 2 ** min(failures - 1, 10), max(MAX_BACKOFF_S, base_s)))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

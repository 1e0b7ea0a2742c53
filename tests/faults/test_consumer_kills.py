"""Each consumer SIGKILLed at random points, 20+ times, while events stream in.

The same events go to a clean system (the shared-stack one, untouched during this test) and
to a chaos system (on the private stack) whose sla, sync-audit and notify processes are killed
every 0.5–3 s (each consumer lives in its service's `run` process) and started again, as a
supervisor would. Once both are quiet, the chaos system's final state must equal the clean pass:
every dossier's clock, every fired timer once, every attribution, one letter per dossier and
due date, the same deliveries queued.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time

import httpx
import pytest

from tests import support
from tests.e2e.system import System
from tests.faults.workload import (
    converge,
    dossier_events,
    phases,
    quiescent,
    stream,
    write_figures,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

KILLED = ("sla", "sync-audit", "notify")
# `make test` kills each consumer 6 times (minutes on two cores); `make test-faults-long` 20.
_LONG = os.environ.get("DUNGHAN_FAULTS_LONG") == "1"
KILLS_PER_SERVICE = int(os.environ.get("DUNGHAN_FAULTS_KILLS", "20" if _LONG else "6"))
DOSSIERS = 300
_APPLIED = re.compile(
    r'^dunghan_consumer_records_total\{[^}]*outcome="applied"[^}]*\} (\S+)$', re.M
)


async def applied_records(system: System, service: str) -> float:
    """Records this incarnation of a service has applied (its consumer metric)."""
    try:
        async with system.client(service) as client:
            text = (await client.get("/metrics", timeout=2.0)).text
    except httpx.HTTPError:
        return 0.0
    return sum(float(v) for v in _APPLIED.findall(text))


async def kill_loop(
    system: System, service: str, rand: random.Random, streaming: asyncio.Task[object]
) -> dict[str, int]:
    """Kill and restart one service at random intervals; count kills that hit live work."""
    figures = {
        "kills": 0,
        "kills_after_records_applied": 0,
        "kills_while_streaming": 0,
        "failed_starts": 0,
    }
    for _ in range(KILLS_PER_SERVICE):
        await asyncio.sleep(rand.uniform(0.5, 3.0))
        applied = await applied_records(system, service)
        system.kill(service)
        figures["kills"] += 1
        figures["kills_after_records_applied"] += applied > 0
        figures["kills_while_streaming"] += not streaming.done()
        figures["failed_starts"] += await restart(system, service)
    return figures


async def restart(system: System, service: str, attempts: int = 5) -> int:
    """Start a killed service again, as a supervisor would; the failed starts it took.

    A start fails when the shared broker is briefly down (other suites stop it): the service
    exits or never gets ready, and a supervisor starts it again.
    """
    for failed in range(attempts):
        try:
            await system.restart(service)
            return failed
        except (RuntimeError, TimeoutError):
            system.kill(service)
            await asyncio.sleep(2.0)
    raise RuntimeError(f"{service} did not start in {attempts} attempts")


async def feed(clean: System, chaos: System, tag: str, events: list[dict]) -> list:
    """Send both phases to both systems; the second once the chaos system has caught up."""
    first, second = phases(events)
    sent = await stream([clean, chaos], first, size=5, pause_s=0.5)
    settled = await quiescent(clean, tag)
    await converge(chaos, tag, settled, 300.0)
    more = await stream([clean, chaos], second, size=5, pause_s=0.5)
    for a, b in zip(sent, more, strict=True):
        a.events_sent += b.events_sent
        a.events_accepted += b.events_accepted
    return sent


async def test_killed_consumers_end_in_the_clean_state(systems) -> None:
    # The chaos system is the private-stack one: its broker is this session's own, while other
    # suites on this machine stop the shared broker now and then, and a service restarted during
    # such a stop exits at once.
    clean, chaos = systems.shared, systems.private
    tag = support.unique("kill").replace("_", "")
    events = dossier_events(DOSSIERS, tag)
    seed = random.SystemRandom().randrange(2**32)
    rand = random.Random(seed)
    started = time.monotonic()
    sending = asyncio.ensure_future(feed(clean, chaos, tag, events))
    loops = [asyncio.ensure_future(kill_loop(chaos, s, rand, sending)) for s in KILLED]
    try:
        kills = await asyncio.gather(*loops)
        sent = await sending
    finally:  # a failed loop must not leave the others killing processes under later tests
        for task in [*loops, sending]:
            task.cancel()
        for service in KILLED:
            if chaos.procs[service].poll() is not None:
                await restart(chaos, service)
    expected = await quiescent(clean, tag)
    got = await converge(chaos, tag, expected, 150.0)
    elapsed = time.monotonic() - started

    letters = expected["notify_letters"]
    write_figures(
        "consumer_kills",
        {
            "seed": seed,
            "dossiers": DOSSIERS,
            "events_sent": sent[1].events_sent,
            "events_accepted": sent[1].events_accepted,
            "kills": dict(zip(KILLED, kills, strict=True)),
            "sla_dossiers": {"clean": len(expected["sla"]), "chaos": len(got["sla"])},
            "timers_fired": {"clean": len(expected["sla_fired"]), "chaos": len(got["sla_fired"])},
            "attributions": {
                "clean": len(expected["sync-audit"]),
                "chaos": len(got["sync-audit"]),
            },
            "letters": {"clean": len(letters), "chaos": len(got["notify_letters"])},
            "letters_twice": sum(1 for r in got["notify_letters"] if r[-1] > 1),
            "timers_fired_twice": sum(1 for r in got["sla_fired"] if r[-1] > 1),
            "state_equal": got == expected,
            "seconds": round(elapsed, 1),
        },
    )
    assert all(k["kills"] >= KILLS_PER_SERVICE for k in kills)
    assert len(expected["sla"]) == DOSSIERS, "the clean pass did not finish"
    assert letters, "the clean pass issued no letter"
    for name in expected:
        assert got[name] == expected[name], f"{name} differs after kills (seed {seed})"
    assert all(r[-1] == 1 for r in got["notify_letters"]), "a letter was issued twice"

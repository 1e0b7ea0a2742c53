"""Rebalances under load: consumers scaled up and down while events stream in, none dies.

sla's consumer group runs one ``run`` process (API, tick, relay and a consumer) and extra
``python -m sla consume`` members that are started and stopped (SIGTERM, as Kubernetes and KEDA
do) while events stream onto its 6-partition topic: two and three members, up and down,
repeatedly. Every rebalance moves partitions while batches are in flight. Before, a commit for
a revoked partition raised and the process died; now the figures must show 0 unexpected exits,
every member stopping with exit code 0, no dead letter, and every event applied once in effect
(each dossier's count of distinct events equals what was sent).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests import support
from tests.e2e.system import System
from tests.faults.sla_alone import (
    LONG,
    consume_process,
    dead_letters,
    expected,
    metric,
    put,
    sql,
    topic_form,
    wait_applied,
)
from tests.faults.workload import dossier_events, write_figures

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

#: Members beside the ``run`` process after each step: up to three in all, down to one, again.
STEPS = [1, 2, 1, 0, 2, 1, 2, 0, 1, 2, 1, 0] if LONG else [1, 2, 1, 0]
DOSSIERS = 300 if LONG else 60
STEP_S = 4.0
#: Every write of a batch takes 0.3 s (a statement trigger sleeps), so batches are in flight
#: when the group rebalances: the case where a commit is refused.
SLOW_WRITES = """
CREATE FUNCTION slow_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;
CREATE TRIGGER slow_write BEFORE INSERT OR UPDATE ON sla_dossiers
  FOR EACH STATEMENT EXECUTE FUNCTION slow_write();
"""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system() -> AsyncIterator[System]:
    """sla alone on fresh topics and a fresh database of the shared stack."""
    found = System(prefix=support.unique("rebalance"))
    try:
        await found.start(services=("sla",))
        await sql(found, SLOW_WRITES)
        yield found
    finally:
        await found.stop()


class Members:
    """The extra consumer processes, started and stopped; what each did."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.running: list[tuple[subprocess.Popen[bytes], int]] = []
        self.started = 0
        self.exit_codes: list[int] = []
        self.unexpected_exits: list[int] = []
        self.commits_refused = 0.0

    def scale_to(self, count: int) -> None:
        """Start members up to ``count``."""
        while len(self.running) < count:
            self.started += 1
            self.running.append(consume_process(self.system, f"sla-member-{self.started}"))

    async def scale_down_to(self, count: int) -> None:
        """Stop the oldest members (SIGTERM) down to ``count``, recording how each exited."""
        while len(self.running) > count:
            proc, port = self.running.pop(0)
            self.commits_refused += await metric(port, "dunghan_consumer_commits_refused_total{")
            if proc.poll() is not None:
                self.unexpected_exits.append(proc.returncode)
                continue
            proc.terminate()
            self.exit_codes.append(await asyncio.to_thread(proc.wait, 60))

    def check_alive(self) -> None:
        """Record members that died on their own."""
        for proc, port in list(self.running):
            if proc.poll() is not None:
                self.unexpected_exits.append(proc.returncode)
                self.running.remove((proc, port))


async def _stream(system: System, records: list, seconds: float) -> None:
    """Produce the records in small chunks spread over ``seconds``."""
    chunks = [records[i : i + 8] for i in range(0, len(records), 8)]
    pause = seconds / max(1, len(chunks))
    for chunk in chunks:
        await put(system, chunk)
        await asyncio.sleep(pause)


async def test_members_scaled_up_and_down_under_load_never_die(system: System) -> None:
    tag = support.unique("rb").replace("_", "")
    events = dossier_events(DOSSIERS, tag)
    members = Members(system)
    start = time.monotonic()
    streaming = asyncio.create_task(_stream(system, topic_form(events), STEP_S * len(STEPS)))
    try:
        for count in STEPS:
            members.scale_to(count)
            await members.scale_down_to(count)
            await asyncio.sleep(STEP_S)
            members.check_alive()
        await streaming
        got, seconds = await wait_applied(system, tag, events, limit_s=120.0)
    finally:
        await members.scale_down_to(0)
    run_alive = system.procs["sla"].poll() is None
    refused_run = await metric(system.ports["sla"], "dunghan_consumer_commits_refused_total{")
    figures = {
        "long": LONG,
        "steps": STEPS,
        "members_started": members.started,
        "events": len(events),
        "dossiers": DOSSIERS,
        "applied": sum(got.values()),
        "expected": sum(expected(events).values()),
        "dossiers_wrong": sum(1 for c, n in expected(events).items() if got.get(c) != n),
        "dead_letters": len(await dead_letters(system)),
        "exit_codes_on_sigterm": members.exit_codes,
        "unexpected_exits": members.unexpected_exits,
        "run_process_alive": run_alive,
        "commits_refused": members.commits_refused + refused_run,
        "seconds": round(time.monotonic() - start, 1),
        "seconds_to_settle": round(seconds, 1),
    }
    write_figures("rebalances", figures)
    assert not members.unexpected_exits, figures
    assert run_alive, figures
    assert set(members.exit_codes) <= {0}, figures
    assert figures["dead_letters"] == 0, figures
    assert got == expected(events), figures

"""Database outages of each transient SQLSTATE class, beyond the old retry budget: no dead letter.

Before, a statement timeout, a read-only database after a fail-over, a full disk, a deadlock, a
serialization failure, an out-of-memory or an admin shutdown counted as a permanent error: after
about 5 s (3 batch retries, then one per record) the events went to the dead-letter topic and
their offsets were committed, so nothing applied them again. Now they are retried without limit
while sla reports not ready, and everything is applied once the database is back.

The faults are real PostgreSQL errors reaching sla's real driver:
- *injected*: a statement trigger on ``sla_dossiers`` raises the SQLSTATE a control table names
  (``RAISE … USING ERRCODE``), so each class reaches sla exactly as the server reports it;
- *read-only*: ``default_transaction_read_only`` set on sla's database and its sessions ended,
  as after a fail-over to a replica (25006 from the server itself);
- *admin shutdown*: sla's sessions ended by ``pg_terminate_backend`` every 0.3 s while each
  write takes a second (the trigger sleeps): 57P01 mid-statement and the broken connections
  that follow.

`make test` runs one outage cycling through the injected codes (each for about a second), then
the read-only and the shutdown outages; ``make test-faults-long`` runs each code alone.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from tests import support
from tests.e2e.system import System
from tests.faults.sla_alone import (
    LONG,
    applied,
    dead_letters,
    expected,
    metric,
    put,
    readiness,
    sql,
    topic_form,
    wait_applied,
)
from tests.faults.workload import dossier_events, write_figures

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]

#: The transient SQLSTATEs, one or more per class the consumer retries without limit; in the
#: order the short run's rotation raises them, a class's first code before any second one.
SQLSTATES = {
    "08006": "connection failure",
    "53100": "disk full",
    "40P01": "deadlock",
    "57P01": "admin shutdown",
    "25006": "read-only transaction",
    "57014": "statement timeout (query canceled)",
    "40001": "serialization failure",
    "53200": "out of memory",
    "55P03": "lock not available",
    "58030": "I/O error",
    "53300": "too many connections",
    "08001": "cannot establish connection",
}
#: What the issue names: connection, resources, transaction rollback, admin shutdown, and the
#: statement timeout and read-only errors that were mis-classified.
MUST_SEE = ("08006", "53100", "40P01", "57P01", "25006", "57014")
#: Longer than the old budget (~5 s from the first failure to the dead letter).
OUTAGE_S = 15.0 if LONG else 9.0

INJECTION = """
CREATE TABLE IF NOT EXISTS fault_injection (errcode text, sleep_s float8 NOT NULL, codes text[]);
INSERT INTO fault_injection VALUES (NULL, 0, NULL);
CREATE SEQUENCE IF NOT EXISTS fault_rotation;
CREATE OR REPLACE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE code text; pause float8; rotation text[];
BEGIN
  SELECT errcode, sleep_s, codes INTO code, pause, rotation FROM fault_injection LIMIT 1;
  PERFORM pg_sleep(pause);
  IF code = 'rotate' THEN  -- each failing statement raises the next code of the rotation
    code := rotation[1 + (nextval('fault_rotation') - 1) % array_length(rotation, 1)];
  END IF;
  IF code IS NOT NULL THEN
    RAISE EXCEPTION 'injected fault %', code USING ERRCODE = code;
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS inject_fault ON sla_dossiers;
CREATE TRIGGER inject_fault BEFORE INSERT OR UPDATE ON sla_dossiers
  FOR EACH STATEMENT EXECUTE FUNCTION inject_fault();
"""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system() -> AsyncIterator[System]:
    """sla alone on fresh topics and a fresh database, with the fault trigger installed."""
    # Retries from 50 ms (default 0.5 s): more attempts in an outage, each raising the next code.
    backoff = {"DUNGHAN_KAFKA_CONSUMER_RETRY_BACKOFF_S": "0.05"}
    found = System(prefix=support.unique("sqlstate"), extra_env={"sla": backoff})
    try:
        await found.start(services=("sla",))
        await sql(found, INJECTION)
        yield found
    finally:
        await found.stop()


async def _inject(system: System, code: str | None, sleep_s: float = 0.0) -> None:
    """Set the error the trigger raises (None: none) and how long it sleeps first, at once."""
    value = "NULL" if code is None else f"'{code}'"
    await sql(system, f"UPDATE fault_injection SET errcode = {value}, sleep_s = {sleep_s}")


async def _end_sessions(system: System) -> None:
    db = system.databases["sla"]
    await sql(
        system,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        f" WHERE datname = '{db}' AND pid <> pg_backend_pid()",
        "postgres",
    )


Fault = Callable[[float], Awaitable[None]]


def injected(system: System, codes: list[str]) -> Fault:
    """Injected errors: one code, or each failing statement the next of ``codes``."""

    async def run(seconds: float) -> None:
        array = "ARRAY[" + ", ".join(f"'{c}'" for c in codes) + "]"
        await sql(system, f"UPDATE fault_injection SET codes = {array}")
        await _inject(system, codes[0] if len(codes) == 1 else "rotate")
        await asyncio.sleep(seconds)
        await _inject(system, None)

    return run


def read_only(system: System) -> Fault:
    """The database read-only for new sessions, every session ended: a fail-over to a replica."""

    async def run(seconds: float) -> None:
        db = system.databases["sla"]
        on = f'ALTER DATABASE "{db}" SET default_transaction_read_only = on'
        await sql(system, on, "postgres")
        await _end_sessions(system)
        await asyncio.sleep(seconds)
        await sql(system, f'ALTER DATABASE "{db}" RESET default_transaction_read_only', "postgres")
        await _end_sessions(system)

    return run


def admin_shutdown(system: System) -> Fault:
    """sla's sessions ended every 0.3 s while each write takes 1 s: ended mid-statement."""

    async def run(seconds: float) -> None:
        await _inject(system, None, sleep_s=1.0)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await _end_sessions(system)
            await asyncio.sleep(0.3)
        await _inject(system, None)

    return run


async def outage(system: System, name: str, fault: Fault, dossiers: int = 6) -> dict[str, Any]:
    """Events sent at the start of a fault of ``OUTAGE_S``; what sla did during and after it."""
    tag = support.unique("db").replace("_", "")
    events = dossier_events(dossiers, tag)
    port = system.ports["sla"]
    retries_before = await metric(port, "dunghan_consumer_retries_total{")
    dead_before = len(await dead_letters(system))
    log_from = len(system.log("sla"))
    faulting = asyncio.create_task(fault(OUTAGE_S))
    await asyncio.sleep(0.5)
    await put(system, topic_form(events))
    statuses, during = set(), {}
    while not faulting.done():
        statuses.add(await readiness(system))
        during = await applied(system, tag)
        await asyncio.sleep(0.5)
    await faulting
    got, seconds = await wait_applied(system, tag, events, limit_s=60.0)
    ready_after = await _ready_within(system, 30.0)
    log = system.log("sla")[log_from:]
    seen = sorted(set(re.findall(r"injected fault ([0-9A-Z]{5})", log)))
    return {
        "fault": name,
        "sqlstates_seen": seen,
        "errors_seen": sorted(set(re.findall(r"\b(\w+(?:Error|Exception))\(", log))),
        "outage_s": OUTAGE_S,
        "events": len(events),
        "applied_during_outage": sum(during.values()),
        "applied_after": sum(got.values()),
        "expected": sum(expected(events).values()),
        "all_applied": got == expected(events),
        "seconds_to_apply_after_recovery": round(seconds, 1),
        "dead_letters": len(await dead_letters(system)) - dead_before,
        "readiness_seen_during": sorted(statuses),
        "ready_after_s": ready_after,
        "batch_retries": await metric(port, "dunghan_consumer_retries_total{") - retries_before,
        "sla_restarted": system.procs["sla"].poll() is not None,
    }


async def _ready_within(system: System, limit_s: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if await readiness(system) == 200:
            return round(time.monotonic() - start, 1)
        await asyncio.sleep(0.2)
    return None


def _faults(system: System) -> list[tuple[str, Fault]]:
    if LONG:
        each = [(f"{code} {why}", injected(system, [code])) for code, why in SQLSTATES.items()]
    else:
        each = [("injected: " + ", ".join(SQLSTATES), injected(system, list(SQLSTATES)))]
    real = [("read-only database", read_only(system)), ("admin shutdown", admin_shutdown(system))]
    return [*each, *real]


async def test_transient_database_errors_never_dead_letter(system: System) -> None:
    runs = [await outage(system, name, fault) for name, fault in _faults(system)]
    write_figures("database_errors", {"long": LONG, "runs": runs})
    seen = {code for run in runs for code in run["sqlstates_seen"]}
    assert seen >= set(SQLSTATES if LONG else MUST_SEE), seen
    for run in runs:
        assert run["dead_letters"] == 0, run
        assert run["all_applied"], run
        assert run["applied_during_outage"] < run["expected"], ("the fault did not bite", run)
        assert 503 in run["readiness_seen_during"], run
        assert run["ready_after_s"] is not None, run
        assert not run["sla_restarted"], run

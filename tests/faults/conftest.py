"""Fixtures of the fault runs: a private Kafka and PostgreSQL, and a clean reference system.

The shared broker (9092) and database (55432) are never stopped: faults that stop the broker or
PostgreSQL run against a private stack that deploy/local/stack.sh starts on other ports, in a
data directory of its own, with the jars already installed under the repository's .stack.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.system import ROOT, System, free_port

STACK = ROOT / "deploy/local/stack.sh"


@dataclass
class PrivateStack:
    """A broker and a PostgreSQL cluster this session owns, stoppable at will."""

    directory: Path
    kafka_port: int
    controller_port: int
    pg_port: int

    @property
    def bootstrap(self) -> str:
        """The private broker's address."""
        return f"127.0.0.1:{self.kafka_port}"

    async def run(self, command: str) -> None:
        """Run one stack.sh command (kafka-up, kafka-down, pg-up, pg-down) on this stack."""
        env = {
            **os.environ,
            "STACK_DIR": str(self.directory),
            "KAFKA_LIBS": str(ROOT / ".stack/kafka/libs"),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_HEAP": "512M",
            "PG_PORT": str(self.pg_port),
            "PG_DATABASES": " ",
        }
        done = await asyncio.to_thread(
            subprocess.run, [str(STACK), command], env=env, capture_output=True, timeout=180
        )
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {command} failed:\n{done.stderr.decode()[-2000:]}")


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def private_stack() -> AsyncIterator[PrivateStack]:
    """A private KRaft broker and PostgreSQL on free ports, torn down (data deleted) after."""
    directory = Path(tempfile.mkdtemp(prefix="dunghan-faults-"))
    stack = PrivateStack(directory, free_port(), free_port(), free_port())
    try:
        await asyncio.gather(stack.run("pg-up"), stack.run("kafka-up"))
        yield stack
    finally:
        for command in ("kafka-down", "pg-down"):
            try:
                await stack.run(command)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"private stack {command}: {exc}")
        shutil.rmtree(directory, ignore_errors=True)


#: Applicant letters go out at any hour, so the fault runs also cross the send path.
NOTIFY_ANY_HOUR = {"notify": {"DUNGHAN_NOTIFY_APPLICANT_OFFICE_HOURS_ONLY": "false"}}


@dataclass
class FaultSystems:
    """Two systems that receive the same events; each is the clean reference of the other.

    ``shared`` runs on the shared stack; ``private`` runs on the private stack, has its
    consumers killed and lives through broker and database restarts. A test faults one system
    while the other processes the same events untouched, then compares the final states of
    its own dossiers: two systems instead of three on a 2-core machine.
    """

    shared: System
    private: System


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def systems(private_stack: PrivateStack) -> AsyncIterator[FaultSystems]:
    """The two systems, started together, stopped after the session."""
    found = FaultSystems(
        shared=System(extra_env=NOTIFY_ANY_HOUR),
        private=System(
            extra_env=NOTIFY_ANY_HOUR,
            kafka_bootstrap=private_stack.bootstrap,
            pg_port=private_stack.pg_port,
        ),
    )
    try:
        await asyncio.gather(found.shared.start(), found.private.start())
        yield found
    finally:
        await asyncio.gather(found.shared.stop(), found.private.stop())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here `faults` (the tier of `make test-faults`)."""
    for item in items:
        if "faults" in item.path.parts:
            item.add_marker(pytest.mark.faults)

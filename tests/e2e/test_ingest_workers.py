"""Two ingest API processes on one port each take their share of a sender's connections.

Which process holds each accepted connection is read from ``/proc`` (the socket inodes of the
established connections on the port, and whose descriptors they are).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONNECTIONS = 16


def owners(port: int) -> Counter[int]:
    """Established connections accepted on ``port``, by the pid holding them."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
            inodes.add(inode)
    held: Counter[int] = Counter()
    for fds in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):  # a process gone or not ours
            for fd in fds.iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    held[int(fds.parent.name)] += 1
    return held


async def test_two_api_processes_each_accept_a_share_of_the_connections() -> None:
    system = System(extra_env={"ingest": {"DUNGHAN_INGEST_WORKERS": "2"}})
    clients = [httpx.AsyncClient(timeout=5.0) for _ in range(CONNECTIONS)]
    try:
        await system.start(("ingest",))
        url = system.url("ingest")
        for client in clients:  # one connection each, kept open
            assert (await client.get(f"{url}/healthz")).status_code == 200
        held = owners(system.ports["ingest"])
        # One socket per process on the port: the kernel spreads connections by their
        # addresses. (With one shared socket, the first process awake took them all.)
        assert len(held) == 2, held
        assert sum(held.values()) == CONNECTIONS, held
        assert min(held.values()) >= 2, held
    finally:
        for client in clients:
            await client.aclose()
        await system.stop()

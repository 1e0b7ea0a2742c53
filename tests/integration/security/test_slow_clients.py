"""Slow clients (headers or a body sent a byte at a time) do not stop a service from serving.

Each service gets connections that trickle their request head, and ingest also gets requests
that trickle their body; meanwhile normal requests must be answered promptly, and every slow
connection is answered 408 and closed by the server once the read deadline
(`dunghan_common.http_deadline.READ_DEADLINE_S`) has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
from dunghan_common.http_deadline import READ_DEADLINE_S

from tests.e2e.system import SERVICES
from tests.faults.workload import write_figures

pytestmark = pytest.mark.asyncio(loop_scope="session")
SLOW_PER_SERVICE = 20
HOLD_S = READ_DEADLINE_S + 4.0


class SlowClient:
    """One connection that sends its request a little at a time."""

    def __init__(self, port: int, body: bool) -> None:
        self.port, self.body = port, body
        self.closed_by_server_after_s: float | None = None
        self.answer = b""

    async def run(self, until: float) -> None:
        """Trickle until ``until`` (monotonic) or until the server closes the connection."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        start = time.monotonic()
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        if self.body:
            head = b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
            head += (
                b"Content-Type: application/json\r\nAuthorization: Bearer dev-ingest-key\r\n\r\n"
            )
        try:
            writer.write(head)
            while time.monotonic() < until:
                writer.write(b"[" if self.body else b"X-Slow: 1\r\n")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    chunk = await asyncio.wait_for(reader.read(4096), 0.5)
                    self.answer += chunk
                    if chunk == b"":
                        self.closed_by_server_after_s = round(time.monotonic() - start, 1)
                        return
        except (ConnectionError, OSError):
            self.closed_by_server_after_s = round(time.monotonic() - start, 1)
        finally:
            writer.close()


async def test_slow_clients_do_not_stop_the_services(planted) -> None:
    system = planted.system
    until = time.monotonic() + HOLD_S
    slow = [
        SlowClient(system.ports[s], body=False) for s in SERVICES for _ in range(SLOW_PER_SERVICE)
    ]
    slow += [SlowClient(system.ports["ingest"], body=True) for _ in range(SLOW_PER_SERVICE)]
    trickling = asyncio.gather(*(c.run(until) for c in slow))
    await asyncio.sleep(2.0)
    latencies: dict[str, float] = {}
    for service in SERVICES:
        async with system.client(service) as client:
            start = time.monotonic()
            answer = await client.get("/healthz", timeout=5.0)
            latencies[service] = round(time.monotonic() - start, 3)
            assert answer.status_code == 200
    await trickling
    closed = [c.closed_by_server_after_s for c in slow if c.closed_by_server_after_s is not None]
    write_figures(
        "slow_clients",
        {
            "slow_connections": len(slow),
            "held_s": HOLD_S,
            "closed_by_server": len(closed),
            "closed_after_s_max": max(closed, default=None),
            "answered_408": sum(c.answer.startswith(b"HTTP/1.1 408 ") for c in slow),
            "healthz_seconds_while_held": latencies,
        },
    )
    assert max(latencies.values()) < 2.0, latencies
    assert len(closed) == len(slow), f"{len(slow) - len(closed)} slow connections left open"
    assert max(closed) <= READ_DEADLINE_S + 2.0, closed
    # A 408 can be lost to the client's own next write racing the close (a reset discards
    # unread data); tests/integration/common/test_http_deadline.py checks the answer exactly.
    answered_408 = sum(c.answer.startswith(b"HTTP/1.1 408 ") for c in slow)
    assert answered_408 >= 0.9 * len(slow), answered_408
    async with httpx.AsyncClient() as client:
        for service in SERVICES:
            assert (await client.get(f"{system.url(service)}/healthz")).status_code == 200

"""A request that trickles in past the read deadline is answered 408 and its connection closed."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from dunghan_common.http_deadline import DeadlineHttpProtocol
from fastapi import FastAPI
from starlette.requests import Request

from tests import support
from tests.e2e.system import free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _QuickDeadline(DeadlineHttpProtocol):
    read_deadline_s = 0.5


@contextlib.asynccontextmanager
async def _serving():
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    port = free_port()
    async with support.serving(app, port, log_config=None, http=_QuickDeadline, lifespan="off"):
        yield port


async def _trickle(port: int, head: bytes, drip: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    answer = b""
    try:
        for _ in range(40):  # 2 s of trickling at most; the deadline is 0.5 s
            writer.write(drip)
            await writer.drain()
            with contextlib.suppress(TimeoutError):
                chunk = await asyncio.wait_for(reader.read(4096), 0.05)
                if chunk == b"":
                    return answer
                answer += chunk
    except ConnectionError:
        return answer
    finally:
        writer.close()
    return answer


async def test_a_trickling_head_or_body_gets_408_and_a_prompt_request_is_served():
    async with _serving() as port:
        head = await _trickle(port, b"POST /echo HTTP/1.1\r\nHost: x\r\n", b"X-Slow: 1\r\n")
        body = await _trickle(
            port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", b"a"
        )
        async with httpx.AsyncClient() as client:
            prompt = await client.post(f"http://127.0.0.1:{port}/echo", content=b"abc")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert body.startswith(b"HTTP/1.1 408 ")
    assert prompt.json() == {"bytes": 3}

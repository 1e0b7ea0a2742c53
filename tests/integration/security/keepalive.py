"""One request, then `GET /healthz` on the same HTTP/1.1 connection: did the server keep it open?

httpx reconnects silently, so it cannot tell a connection the server closed after an error (what
an unhandled exception does) from one it kept. Here the exchange is spoken over a raw socket with
h11, the same state machine uvicorn uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import h11
import httpx


@dataclass(frozen=True)
class Exchange:
    """The answer to a request, and whether the connection served a second one."""

    status: int  # 0: the server closed the connection without answering
    content_type: str
    body: bytes
    kept_alive: bool


async def exchange(port: int, request: httpx.Request, timeout_s: float = 30.0) -> Exchange:
    """Send ``request`` to ``127.0.0.1:port``, then a health check on the same connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = h11.Connection(h11.CLIENT)
    try:
        first = await asyncio.wait_for(_round_trip(conn, reader, writer, request), timeout_s)
        kept = False
        if first.status and conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            health = httpx.Request("GET", "http://127.0.0.1/healthz")
            second = await asyncio.wait_for(_round_trip(conn, reader, writer, health), timeout_s)
            kept = second.status == 200
        return Exchange(first.status, first.content_type, first.body, kept)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _round_trip(
    conn: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    request: httpx.Request,
) -> Exchange:
    body = request.read()
    headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"connection"]
    target = request.url.raw_path
    try:
        writer.write(conn.send(h11.Request(method=request.method, target=target, headers=headers)))
        if body:
            writer.write(conn.send(h11.Data(data=body)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
    except (ConnectionError, h11.LocalProtocolError):
        pass  # the server may answer and close before reading a large body: read what it said
    return await _response(conn, reader)


async def _response(conn: h11.Connection, reader: asyncio.StreamReader) -> Exchange:
    status, content_type, body = 0, "", bytearray()
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return Exchange(0, "", b"", False)
        if event is h11.NEED_DATA:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            conn.receive_data(data)
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            content_type = dict(event.headers).get(b"content-type", b"").decode()
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return Exchange(status, content_type, bytes(body), False)

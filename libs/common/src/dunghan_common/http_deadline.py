"""A read deadline for HTTP requests: a client trickling its request head or body gets 408.

uvicorn closes idle keep-alive connections but never times out a request still arriving, so a
client sending one header line or body byte at a time holds a connection (and, for a body, a
request task) for as long as it likes. This protocol arms a timer when a connection opens and
when each request begins, disarms it when the request has fully arrived, and on expiry answers
408 (if no response was started) and closes the connection.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Seconds a client has to deliver a whole request (head and body) once it starts one. Long
#: enough for ingest's 5 MB bodies on a slow link, short enough that trickling clients go.
READ_DEADLINE_S = 10.0

_TIMEOUT_BODY = b'{"detail":"the request did not arrive within the read deadline"}'
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\nconnection: close\r\n\r\n"
) + _TIMEOUT_BODY


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on reading each request."""

    read_deadline_s = READ_DEADLINE_S
    _read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Arm the deadline: a connection that never sends a request is closed too."""
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        """A request starts: it has the deadline to arrive in full."""
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        """The request arrived in full: no deadline while the app answers."""
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Nothing to time out any more."""
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self.read_deadline_s, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

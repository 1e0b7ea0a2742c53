"""Fixtures of notify's integration tier: a real SMTP server, a local SMS and webhook gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import notify
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from dunghan_common.calendar import BusinessCalendar, load_calendar
from dunghan_common.db.migrations import upgrade
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests import support
from tests.e2e.system import free_port

MIGRATIONS = Path(notify.__file__).parent / "migrations"


@dataclass
class SmtpSink:
    """What the SMTP server received."""

    port: int
    messages: list[Message] = field(default_factory=list)

    def message_ids(self) -> list[str]:
        """Message-ID of every received message, in order."""
        return [str(m["Message-ID"]) for m in self.messages]


class _Recorder:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._sink.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """An aiosmtpd server on a free loopback port, recording every message."""
    sink = SmtpSink(port=free_port())
    controller = Controller(_Recorder(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Gateway:
    """The local SMS gateway and DOST webhook: every request, and the de-duplicated deliveries."""

    port: int
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)

    def url(self, path: str) -> str:
        """URL of a path on the gateway."""
        return f"http://127.0.0.1:{self.port}{path}"


def _gateway_app(gw: Gateway) -> FastAPI:
    app = FastAPI()

    async def receive(request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key", "")
        body = await request.json()
        gw.requests.append((request.url.path, key, body))
        if body.get("to") in gw.failing:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        gw.delivered.setdefault(key, body)  # a replayed key is acknowledged, not re-delivered
        return JSONResponse({"accepted": True})

    app.add_api_route("/v1/sms", receive, methods=["POST"])
    app.add_api_route("/v1/webhook", receive, methods=["POST"])
    return app


@pytest_asyncio.fixture(loop_scope="session")
async def gateway() -> AsyncIterator[Gateway]:
    """A Starlette/FastAPI app under uvicorn on a free port."""
    gw = Gateway(port=free_port())
    async with support.serving(_gateway_app(gw), gw.port, log_config=None):
        yield gw


@pytest.fixture(scope="session")
def calendar() -> BusinessCalendar:
    """The working calendar, loaded once."""
    return load_calendar(Path("config/calendar"), first_year=2025, last_year=2027)


@pytest_asyncio.fixture(loop_scope="session")
async def notify_db(fresh_database: str) -> str:
    """A fresh database at notify's latest schema."""
    await asyncio.to_thread(upgrade, MIGRATIONS, fresh_database)
    return fresh_database

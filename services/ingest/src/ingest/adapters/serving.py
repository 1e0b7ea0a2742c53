"""Serving the API from several processes sharing one listening socket (``workers`` setting).

The first process binds the port and starts ``workers - 1`` copies of itself that inherit the
socket (its descriptor in ``DUNGHAN_INGEST_LISTEN_FD``); the kernel hands each new connection to
one of them. Each process is a replica of its own: producer, database pool, rate-limit buckets and
group-commit queue (README: the per-replica rate limit and the duplicate race).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import uvicorn
from dunghan_common.http_deadline import DeadlineHttpProtocol
from starlette.types import ASGIApp

LISTEN_FD = "DUNGHAN_INGEST_LISTEN_FD"
#: Each copy's index (the first process is 0): part of its Kafka transactional id.
WORKER_INDEX = "DUNGHAN_INGEST_WORKER_INDEX"


def inherited_socket() -> socket.socket | None:
    """The listening socket handed down by the first process, if this is a worker copy."""
    fd = os.environ.get(LISTEN_FD)
    return socket.socket(fileno=int(fd)) if fd else None


def bind(host: str, port: int) -> socket.socket:
    """Bind and listen on the API's address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def spawn_workers(count: int, sock: socket.socket) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` more processes of the ``api`` role serving the same socket."""
    env = {**os.environ, LISTEN_FD: str(sock.fileno())}
    command = [sys.executable, "-m", "ingest", "api"]
    return [
        subprocess.Popen(  # noqa: S603 - our own command
            command, env={**env, WORKER_INDEX: str(n)}, pass_fds=[sock.fileno()]
        )
        for n in range(1, count + 1)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """Ask each worker to stop, then wait for it (killing it after 10 s)."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()


async def serve_socket(app: ASGIApp, sock: socket.socket) -> None:
    """Serve an app on a bound socket with the settings of `dunghan_common.runtime.serve_http`."""
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=64 * 1024,
        http=DeadlineHttpProtocol,  # 408 for a request still trickling in after the deadline
    )
    server = uvicorn.Server(config)
    # uvicorn captures SIGINT/SIGTERM while serving and re-raises them after, so
    # `run_until_signal` still sees them.
    try:
        await server.serve(sockets=[sock])
    finally:
        server.should_exit = True

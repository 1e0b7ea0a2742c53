"""Serving the API from several processes on one port (``workers`` setting).

The first process binds one listening socket per process, all on the same port with
``SO_REUSEPORT``, and starts ``workers - 1`` copies of itself, each inheriting its own socket (its
descriptor in ``DUNGHAN_INGEST_LISTEN_FD``). The kernel spreads new connections over the sockets by
their addresses. With one socket shared by every process, the process that woke first accepted
every connection waiting, so a sender's few long-lived connections all landed on one process.
The first process closes the copies' sockets once they are started: a copy that stops takes its
socket out of the port with it. Each process is a replica of its own: producer, database pool,
rate-limit buckets and group-commit queue (README: the per-replica rate limit and the duplicate
race).
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


def bind(host: str, port: int, count: int = 1) -> list[socket.socket]:
    """``count`` listening sockets on the API's address (one port, ``SO_REUSEPORT``)."""
    socks: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]  # port 0: the others join the port the first one got
        sock.listen(2048)
        socks.append(sock)
    return socks


def spawn_workers(socks: list[socket.socket]) -> list[subprocess.Popen[bytes]]:
    """Start one more process of the ``api`` role per socket, each serving its own, and close
    them here (each copy holds its own from then on)."""
    command = [sys.executable, "-m", "ingest", "api"]
    workers = []
    for n, sock in enumerate(socks, start=1):
        env = {**os.environ, LISTEN_FD: str(sock.fileno()), WORKER_INDEX: str(n)}
        workers.append(
            subprocess.Popen(command, env=env, pass_fds=[sock.fileno()])  # noqa: S603 - ours
        )
        sock.close()
    return workers


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

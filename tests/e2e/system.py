"""The four services as separate processes on fresh databases and topics of the real stack.

`System` migrates and starts ingest, sla, sync-audit and notify exactly as `make run` does
(`python -m <package> migrate`, then `python -m <package> run`), each on a free port with a
database of its own and topics named with a per-system prefix, so tests never see another run's
data. Tests drive it only through HTTP; fault tests may kill and restart a service.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests import support

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "sla", "sync-audit", "notify")
PACKAGES = {"ingest": "ingest", "sla": "sla", "sync-audit": "sync_audit", "notify": "notify"}
OPS_TOKEN = "dev-ops-token"
INGEST_KEY = "dev-ingest-key"
DEV_SOURCE = "igate-quangtri"
TOPIC_PARTITIONS = {"events": 6, "contacts": 3, "alerts": 3, "findings": 3}


def dev_env() -> dict[str, str]:
    """The development configuration (config/dev.env) with its values unquoted as make does."""
    env: dict[str, str] = {}
    for line in (ROOT / "config/dev.env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    return env


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    """Four service processes sharing one set of fresh topics; one database each."""

    prefix: str = field(default_factory=lambda: support.unique("e2e"))
    tick_interval_s: float = 0.2
    #: sla's quiet period, short here: the tests replay histories and wait for their breaches.
    quiet_s: float = 2.0
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    databases: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path = field(default_factory=lambda: ROOT / ".stack" / "logs" / "e2e")
    #: Another stack than the shared one (fault tests run a private broker and database).
    kafka_bootstrap: str = field(default_factory=support.kafka_bootstrap)
    pg_port: int | None = None

    @property
    def topics(self) -> dict[str, str]:
        """Topic names of this system by role."""
        return {role: f"{self.prefix}.{role}" for role in TOPIC_PARTITIONS}

    def url(self, service: str) -> str:
        """Base URL of a service."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def pg_dsn(self, database: str = "postgres") -> str:
        """libpq DSN of a database in this system's PostgreSQL cluster."""
        dsn = support.pg_dsn(database)
        if self.pg_port is None:
            return dsn
        head, _, _ = dsn.rpartition("@127.0.0.1:")
        return f"{head}@127.0.0.1:{self.pg_port}/{database}"

    def db_url(self, service: str) -> str:
        """SQLAlchemy URL of a service's database."""
        return self.pg_dsn(self.databases[service]).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )

    def env(self, service: str) -> dict[str, str]:
        """The environment one service process runs with."""
        t = self.topics
        env = {**os.environ, **dev_env()}
        env.update(
            DUNGHAN_SERVICE_NAME=service,
            DUNGHAN_HTTP_PORT=str(self.ports[service]),
            DUNGHAN_DB_URL=self.db_url(service),
            DUNGHAN_KAFKA_BOOTSTRAP_SERVERS=self.kafka_bootstrap,
            DUNGHAN_INGEST_EVENTS_TOPIC=t["events"],
            DUNGHAN_INGEST_CONTACTS_TOPIC=t["contacts"],
            DUNGHAN_SLA_EVENTS_TOPIC=t["events"],
            DUNGHAN_SLA_ALERTS_TOPIC=t["alerts"],
            DUNGHAN_SLA_CONSUMER_GROUP=f"{self.prefix}.sla",
            DUNGHAN_SLA_TICK_INTERVAL_S=str(self.tick_interval_s),
            DUNGHAN_SLA_QUIET_S=str(self.quiet_s),
            DUNGHAN_SLA_AUDIT_URL=self.url("sync-audit"),
            DUNGHAN_AUDIT_DOSSIER_EVENTS_TOPIC=t["events"],
            DUNGHAN_AUDIT_SLA_ALERTS_TOPIC=t["alerts"],
            DUNGHAN_AUDIT_FINDINGS_TOPIC=t["findings"],
            DUNGHAN_AUDIT_CONSUMER_GROUP=f"{self.prefix}.audit",
            DUNGHAN_AUDIT_INDEX_REFRESH_INTERVAL_S="1",
            DUNGHAN_NOTIFY_ALERTS_TOPIC=t["alerts"],
            DUNGHAN_NOTIFY_FINDINGS_TOPIC=t["findings"],
            DUNGHAN_NOTIFY_CONTACTS_TOPIC=t["contacts"],
            DUNGHAN_NOTIFY_EVENTS_TOPIC=t["events"],
            DUNGHAN_NOTIFY_GROUP_ID=f"{self.prefix}.notify",
            DUNGHAN_NOTIFY_SLA_API_URL=self.url("sla"),
            DUNGHAN_NOTIFY_SLA_API_TOKEN=OPS_TOKEN,
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env.get(service, {}))
        return env

    async def start(self, services: tuple[str, ...] = SERVICES) -> None:
        """Create the topics and databases, migrate, start every service and wait until ready."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka_bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [
                    NewTopic(name, partitions, 1)
                    for role, partitions in TOPIC_PARTITIONS.items()
                    for name in (self.topics[role], f"{self.topics[role]}.dlq")
                ]
            )
        finally:
            await admin.close()
        for service in SERVICES:
            self.ports.setdefault(service, free_port())
        for service in services:
            self.databases[service] = f"{self.prefix}_{service.replace('-', '_')}"
            await self._sql(f'CREATE DATABASE "{self.databases[service]}"')
        await asyncio.gather(*(asyncio.to_thread(self._migrate, s) for s in services))
        for service in services:
            self.spawn(service)
        await asyncio.gather(*(self.wait_ready(s) for s in services))

    def _migrate(self, service: str) -> None:
        cmd = [sys.executable, "-m", PACKAGES[service], "migrate"]
        done = subprocess.run(
            cmd, env=self.env(service), cwd=ROOT, capture_output=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed:\n{done.stderr.decode()[-3000:]}")

    def spawn(self, service: str) -> None:
        """Start one service process (`python -m <package> run`), its output in a log file."""
        log = (self.log_dir / f"{self.prefix}.{service}.log").open("ab")
        cmd = [sys.executable, "-m", PACKAGES[service], "run"]
        self.procs[service] = subprocess.Popen(
            cmd, env=self.env(service), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )

    def log(self, service: str) -> str:
        """Everything a service process has written so far."""
        path = self.log_dir / f"{self.prefix}.{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def wait_ready(self, service: str, timeout_s: float = 90.0) -> None:
        """Poll /readyz until 200; fail with the service's log when it exits or times out."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                proc = self.procs[service]
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{service} exited {proc.returncode}:\n{self.log(service)[-3000:]}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url(service)}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{service} not ready in {timeout_s} s:\n{self.log(service)[-3000:]}")

    def kill(self, service: str, sig: int = signal.SIGKILL) -> None:
        """Kill one service process (SIGKILL by default: no chance to clean up)."""
        proc = self.procs[service]
        if proc.poll() is None:
            proc.send_signal(sig)
        proc.wait(timeout=30)

    async def restart(self, service: str) -> None:
        """Start a killed service again and wait until it is ready."""
        self.spawn(service)
        await self.wait_ready(service)

    async def stop(self) -> None:
        """Stop every process, then drop the databases and topics."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for name in self.databases.values():
            with contextlib.suppress(Exception):
                await self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        topics = [n for t in self.topics.values() for n in (t, f"{t}.dlq")]
        with contextlib.suppress(Exception):
            admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka_bootstrap)
            await admin.start()
            try:
                await admin.delete_topics(topics)
            finally:
                await admin.close()

    async def _sql(self, statement: str) -> None:
        """Run one statement in the cluster's maintenance database."""
        conn = await asyncpg.connect(self.pg_dsn())
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def client(self, service: str, token: str | None = OPS_TOKEN) -> httpx.AsyncClient:
        """An HTTP client on one service, with the ops bearer token unless told otherwise."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url(service), headers=headers, timeout=30.0)

"""Local launcher: migrate and run every installed service as its own process until Ctrl-C."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG = "postgresql+asyncpg://{user}:{password}@127.0.0.1:{port}/{db}"


def services() -> list[tuple[str, dict[str, object]]]:
    """The configured services whose package is installed."""
    table = tomllib.loads((ROOT / "deploy/local/services.toml").read_text())
    return [(n, s) for n, s in table.items() if importlib.util.find_spec(str(s["package"]))]


def service_env(name: str, spec: dict[str, object]) -> dict[str, str]:
    """Environment of one service: its port, database and name on top of the dev config."""
    env = dict(os.environ)
    env["DUNGHAN_SERVICE_NAME"] = name
    env["DUNGHAN_HTTP_PORT"] = str(spec["port"])
    env["DUNGHAN_DB_URL"] = PG.format(
        user=os.environ.get("PG_USER", "dunghan"),
        password=os.environ.get("PG_PASSWORD", "dunghan"),
        port=os.environ.get("PG_PORT", "55432"),
        db=spec["database"],
    )
    return env


def migrate() -> None:
    """Apply each installed service's migrations."""
    for name, spec in services():
        print(f"migrating {name}", flush=True)
        cmd = [sys.executable, "-m", str(spec["package"]), "migrate"]
        subprocess.run(cmd, env=service_env(name, spec), check=True)  # noqa: S603


def wait_healthy(port: int, timeout_s: float = 60) -> bool:
    """Poll /healthz until it answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def run() -> None:
    """Start every installed service, print where it serves, and wait for Ctrl-C."""
    found = services()
    procs: list[subprocess.Popen[bytes]] = []
    logs = ROOT / ".stack/logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name, spec in found:
        out = (logs / f"{name}.log").open("ab")
        cmd = [sys.executable, "-m", str(spec["package"]), "run"]
        procs.append(subprocess.Popen(cmd, env=service_env(name, spec), stdout=out, stderr=out))  # noqa: S603
    for name, spec in found:
        port = int(str(spec["port"]))
        state = "up" if wait_healthy(port) else "NOT HEALTHY (see .stack/logs)"
        base = f"http://127.0.0.1:{port}"
        print(f"{name:<11} {state:<4} {base}/docs  {base}/metrics  {base}/readyz", flush=True)
    if not found:
        print("no service package installed yet: Kafka and PostgreSQL are serving", flush=True)
    print("logs in .stack/logs; Ctrl-C stops the services, `make down` the stack", flush=True)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    reported: set[int] = set()
    while not stop:
        for p in procs:
            if p.poll() is not None and p.pid not in reported:
                reported.add(p.pid)
                print(f"a service exited with {p.returncode}; see .stack/logs", flush=True)
        time.sleep(1)
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=15)


if __name__ == "__main__":
    {"migrate": migrate, "run": run}[sys.argv[1] if len(sys.argv) > 1 else "run"]()

"""Local launcher: migrate and run every installed service as its own process until Ctrl-C.

Once they are healthy, `run` replays a small seeded sample month of the province
(`dunghan_province demo`) and prints the summary; DUNGHAN_SAMPLE_VOLUME sets its size in
dossiers (default 2000; 0 skips it).
"""

from __future__ import annotations

import asyncio
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


def show_sample() -> None:
    """Replay a sample month and print the summary; a failure is reported, the services stay up."""
    volume = int(os.environ.get("DUNGHAN_SAMPLE_VOLUME", "2000"))
    if volume <= 0 or importlib.util.find_spec("dunghan_province") is None:
        return
    from dunghan_province.demo import DemoOptions, demo
    from sla.settings import SlaOptions

    options = DemoOptions(
        volume=volume,
        out_dir=ROOT / ".stack/sample",
        calendar_dir=ROOT / "config/calendar",
        targets_dir=ROOT / "config/targets",
        sample_format="dvcqg"
        if os.environ.get("DUNGHAN_SAMPLE_FORMAT") == "dvcqg"
        else "cloudevents",
        units_path=ROOT / "config/units.toml",
        quiet_s=SlaOptions().quiet_s,  # as the sla it started reads it
    )
    try:
        asyncio.run(demo(options))
    except Exception as error:  # the services keep serving whatever the demo does
        print(f"sample replay failed: {error!r}; see .stack/logs", flush=True)


def start(found: list[tuple[str, dict[str, object]]]) -> list[subprocess.Popen[bytes]]:
    """Start each service as `python -m <package> run`, logging to .stack/logs/<name>.log."""
    logs = ROOT / ".stack/logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for name, spec in found:
        out = (logs / f"{name}.log").open("ab")
        cmd = [sys.executable, "-m", str(spec["package"]), "run"]
        procs.append(subprocess.Popen(cmd, env=service_env(name, spec), stdout=out, stderr=out))  # noqa: S603
    for name, spec in found:
        port = int(str(spec["port"]))
        state = "up" if wait_healthy(port) else "NOT HEALTHY (see .stack/logs)"
        base = f"http://127.0.0.1:{port}"
        print(f"{name:<11} {state:<4} {base}/docs  {base}/metrics  {base}/readyz", flush=True)
    return procs


def serve(procs: list[subprocess.Popen[bytes]]) -> None:
    """Watch the services until Ctrl-C or SIGTERM, then stop them."""
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
    terminate(procs)


def terminate(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the services and wait for them."""
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=15)


def run() -> None:
    """Start every installed service, replay the sample, print the summary, wait for Ctrl-C."""
    found = services()
    procs = start(found)
    if not found:
        print("no service package installed yet: Kafka and PostgreSQL are serving", flush=True)
    elif all(p.poll() is None for p in procs):
        try:
            show_sample()
        except KeyboardInterrupt:
            terminate(procs)
            return
    print("logs in .stack/logs; Ctrl-C stops the services, `make down` the stack", flush=True)
    serve(procs)


if __name__ == "__main__":
    {"migrate": migrate, "run": run}[sys.argv[1] if len(sys.argv) > 1 else "run"]()

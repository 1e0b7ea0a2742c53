"""The OpenAPI documents of the four HTTP APIs, written from their FastAPI apps.

    python deploy/local/openapi.py write   # regenerate docs/openapi/<service>.json
    python deploy/local/openapi.py check   # exit 1 if a committed document is stale

Each app is built the way its bootstrap builds it, with settings made in-process (env "test",
no DUNGHAN_* variable read) and without connecting to anything: only ``app.openapi()`` is called.
A unit test (tests/unit/deploy/test_openapi_docs.py) runs the check.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "openapi"
REGENERATE = "uv run python deploy/local/openapi.py write"


def _ingest() -> Any:
    from ingest.bootstrap import build
    from ingest.settings import IngestSettings

    return build(IngestSettings(env="test")).app


def _sla() -> Any:
    import asyncpg
    from dunghan_common.db import create_engine
    from dunghan_common.kafka import KafkaPublisher
    from sla.bootstrap import Sla
    from sla.settings import SlaSettings

    sla = Sla(SlaSettings(env="test"))
    # What `Sla.start` would open, unopened: an engine and a publisher connect on first use only,
    # and no query runs while the document is built, so the pool is a stand-in.
    sla.engine = create_engine(sla.settings.db)
    sla.publisher = KafkaPublisher(sla.settings.kafka, client_id="openapi")
    sla.pool = cast(asyncpg.Pool, object())
    return sla.app()


def _sync_audit() -> Any:
    from sync_audit.bootstrap import build, build_app
    from sync_audit.settings import SyncAuditSettings

    return build_app(build(SyncAuditSettings(env="test")))


def _notify() -> Any:
    from notify import bootstrap
    from notify.settings import NotifySettings

    return bootstrap.app(bootstrap.build(NotifySettings(env="test")))


APPS: dict[str, Callable[[], Any]] = {
    "ingest": _ingest,
    "sla": _sla,
    "sync-audit": _sync_audit,
    "notify": _notify,
}


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """No DUNGHAN_* variable of the caller's shell, and the repository as working directory
    (the services' default config directories are relative to it)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("DUNGHAN_")}
    for key in saved:
        del os.environ[key]
    try:
        with contextlib.chdir(ROOT):
            yield
    finally:
        os.environ.update(saved)


def documents() -> dict[str, str]:
    """Each service's OpenAPI document as committed: indented JSON, UTF-8, newline-terminated."""
    with _isolated():
        docs = {name: build().openapi() for name, build in APPS.items()}
    return {name: json.dumps(d, indent=2, ensure_ascii=False) + "\n" for name, d in docs.items()}


def stale() -> list[str]:
    """The services whose committed document differs from what their app says (or is missing)."""
    wanted = documents()
    return [
        name
        for name, text in wanted.items()
        if not (OUT / f"{name}.json").is_file()
        or (OUT / f"{name}.json").read_text(encoding="utf-8") != text
    ]


def main(argv: list[str]) -> int:
    """``write`` or ``check``."""
    if argv[1:] == ["write"]:
        OUT.mkdir(parents=True, exist_ok=True)
        for name, text in documents().items():
            (OUT / f"{name}.json").write_text(text, encoding="utf-8")
            print(f"wrote {OUT.relative_to(ROOT)}/{name}.json")
        return 0
    if argv[1:] == ["check"]:
        names = stale()
        for name in names:
            print(f"docs/openapi/{name}.json is stale; regenerate: {REGENERATE}", file=sys.stderr)
        return 1 if names else 0
    print("usage: python deploy/local/openapi.py {write|check}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

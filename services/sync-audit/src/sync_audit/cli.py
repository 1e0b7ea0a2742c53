"""``python -m sync_audit import-index YYYY-MM FILE``: store a saved answer of the portal's index
API for a month, checked field by field like ``PUT /v1/portal-index/{period}``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from dunghan_common.clock import SystemClock
from dunghan_common.db import create_engine
from dunghan_common.metrics import new_registry
from dunghan_common.units import UnitDirectorySettings, UnitDirectorySource

from sync_audit.adapters.index_sql import SqlIndexStore
from sync_audit.adapters.metrics import PrometheusAuditMetrics
from sync_audit.domain.index import AnswerRefusedError
from sync_audit.settings import SyncAuditSettings
from sync_audit.usecases.index import PortalIndex

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sync_audit import-index",
        description="Store the portal's index answer of a month from a saved JSON file.",
    )
    parser.add_argument("period", help="the month, YYYY-MM (Asia/Ho_Chi_Minh)")
    parser.add_argument("file", type=Path, help="the answer as the portal returned it (JSON)")
    return parser


async def import_answer(settings: SyncAuditSettings, argv: list[str]) -> int:
    """Store the answer; print what matched, or every refused field. 0 stored, 1 refused."""
    args = _parser().parse_args(argv)
    if not _PERIOD.match(args.period):
        print(f"not a month: {args.period} (YYYY-MM)", file=sys.stderr)
        return 2
    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    engine = create_engine(settings.db)
    metrics = PrometheusAuditMetrics(new_registry(settings.service_name))
    units = UnitDirectorySource.from_settings(UnitDirectorySettings())
    index = PortalIndex(SqlIndexStore(engine), units, SystemClock(), metrics)
    try:
        stored = await index.put(args.period, raw, "import")
    except AnswerRefusedError as exc:
        print(f"refused, nothing stored ({len(exc.errors)} fields):", file=sys.stderr)
        for e in exc.errors:
            print(f"  {e.loc}: {e.msg}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(
        f"stored the portal's index answer of {stored.period}: {stored.departments} departments,"
        f" {stored.matched} matched to units, unmatched: {', '.join(stored.unmatched) or 'none'}"
    )
    return 0

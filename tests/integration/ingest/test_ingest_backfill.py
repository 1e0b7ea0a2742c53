"""The backfill command against the real path: NDJSON and CSV, checkpointed and resumable."""

from __future__ import annotations

import copy
import csv
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from dunghan_common.events import EXAMPLES
from ingest.adapters.backfill import BackfillError, BackfillOptions, backfill
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.integration.ingest.conftest import KEY, SOURCE

pytestmark = pytest.mark.asyncio(loop_scope="session")


def events(n: int) -> list[dict]:
    made = []
    for i in range(n):
        e = copy.deepcopy(EXAMPLES["dossier.submitted"])
        e["id"] = f"bf-{uuid.uuid4()}"
        e["subject"] = f"000.00.12.H50-bf-{i}"
        made.append(e)
    return made


async def accepted(db_url: str, ids: list[str]) -> set[str]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            query = text("SELECT event_id FROM accepted_events WHERE event_id = ANY(:ids)")
            return {r[0] for r in await conn.execute(query, {"ids": ids})}
    finally:
        await engine.dispose()


def options(path: Path, fmt: str) -> BackfillOptions:
    return BackfillOptions(path, fmt, "http://ingest", KEY, SOURCE, batch_size=1000)


async def test_ndjson_resumes_from_its_checkpoint(ingest_app, tmp_path: Path) -> None:
    sent = events(2500)
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(e) for e in sent) + b"\n")
    (tmp_path / "export.ndjson.checkpoint").write_text("1000")  # an earlier run did 1,000
    transport = httpx.ASGITransport(app=ingest_app.service.app)
    assert await backfill(options(path, "ndjson"), transport) == 2500
    ids = [e["id"] for e in sent]
    assert await accepted(ingest_app.db_url, ids) == set(ids[1000:])
    assert (tmp_path / "export.ndjson.checkpoint").read_text() == "2500"


async def test_csv_stops_at_a_bad_batch_keeping_the_last_checkpoint(
    ingest_app, tmp_path: Path
) -> None:
    sent = events(1500)
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["id", "type", "time", "subject", "data"])
        writer.writeheader()
        for i, e in enumerate(sent):
            data = {"bogus": 1} if i == 1200 else e["data"]
            writer.writerow(
                {
                    **{k: e[k] for k in ("id", "type", "time", "subject")},
                    "data": orjson.dumps(data).decode(),
                }
            )
    transport = httpx.ASGITransport(app=ingest_app.service.app)
    with pytest.raises(BackfillError, match="422"):
        await backfill(options(path, "csv"), transport)
    assert (tmp_path / "export.csv.checkpoint").read_text() == "1000"
    ids = [e["id"] for e in sent]
    assert await accepted(ingest_app.db_url, ids) == set(ids[:1000])

"""The sample month replayed to a real ingest in the portal's format (as `make run` with
`DUNGHAN_SAMPLE_FORMAT=dvcqg`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from dunghan_common.events import from_kafka
from dunghan_common.units import load_units
from dunghan_province.dvcqg import replay_portal
from dunghan_province.month import MonthSpec
from dunghan_province.replay import ReplayTarget
from dunghan_province.sample import calendar, write_sample

from tests.integration.ingest.conftest import KEY, Factory, read_topic

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[3]


async def test_a_month_replayed_in_the_portal_format_receives_every_dossier(
    ingest_factory: Factory, tmp_path: Path
) -> None:
    app = await ingest_factory()
    as_of = int(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC).timestamp())
    path = tmp_path / "month.ndjson"
    stats = write_sample(
        MonthSpec(2026, 10, as_of, volume=60, seed=3), calendar(ROOT / "config/calendar"), path
    )
    names = {u.code: u.name for u in load_units(ROOT / "config/units.toml").units}
    target = ReplayTarget(url="http://ingest", key=KEY, order="dossier")
    first = await replay_portal(path, names, target, app.client)
    again = await replay_portal(path, names, target, app.client)
    assert again.accepted == 0  # the whole month resent: every derived event is a duplicate
    records = await read_topic(app.events_topic, first.accepted)
    types = Counter(from_kafka(r.key, r.value, r.headers).type for r in records)
    assert types["dossier.received"] == stats["received"]
    assert types["portal.sync_succeeded"] > 0
    assert types["system.error"] > 0

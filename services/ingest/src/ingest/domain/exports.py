"""Rows of the provincial system's CSV exports, turned into CloudEvents for the backfill.

Columns (header row required): ``id``, ``type``, ``time``, ``subject`` (may be empty for
``system.*``), ``data`` (the event's data as a JSON object). ``specversion`` is added and
``source`` is the one given to the backfill command. Other columns are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

CSV_COLUMNS = ("id", "type", "time", "subject", "data")


class ExportError(ValueError):
    """A row of an export that cannot become an event."""


def csv_row_to_event(row: Mapping[str, str | None], source: str) -> dict[str, object]:
    """One CSV row as a structured-mode CloudEvent dict."""
    missing = [c for c in ("id", "type", "time", "data") if not row.get(c)]
    if missing:
        raise ExportError(f"missing columns: {', '.join(missing)}")
    try:
        data = orjson.loads(row["data"] or "")
    except orjson.JSONDecodeError:
        raise ExportError("column data is not JSON") from None
    event: dict[str, object] = {
        "specversion": "1.0",
        "id": row["id"],
        "source": source,
        "type": row["type"],
        "time": row["time"],
        "data": data,
    }
    if row.get("subject"):
        event["subject"] = row["subject"]
    return event

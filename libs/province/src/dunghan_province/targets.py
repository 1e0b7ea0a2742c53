"""The year's KPI targets (config/targets/<year>.toml): the file sla judges `below_target` by."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Final

RATES: Final = (
    "on_time_rate",
    "online_submission_rate",
    "online_payment_rate",
    "digitization_rate",
    "sync_rate",
)
LABELS: Final = {
    "on_time_rate": "On-time (đúng hạn)",
    "online_submission_rate": "Online submission (nộp trực tuyến)",
    "online_payment_rate": "Online payment (thanh toán trực tuyến)",
    "digitization_rate": "Digitised results (số hóa kết quả)",
    "sync_rate": "Synced to DVCQG (đồng bộ)",
}


def load_targets(directory: Path, year: int) -> dict[str, float]:
    """The rate targets of `year`; empty when the year has no file."""
    path = directory / f"{year}.toml"
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: float(table[k]) for k in RATES if k in table}

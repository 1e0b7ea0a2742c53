"""503 while the broker is down: nothing accepted, and the retry after recovery publishes."""

from __future__ import annotations

import asyncio
import copy
import uuid
from pathlib import Path

import pytest
from dunghan_common.events import EXAMPLES

pytestmark = pytest.mark.asyncio(loop_scope="session")

STACK = Path(__file__).resolve().parents[3] / "deploy" / "local" / "stack.sh"


async def stack(command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(STACK), command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    assert await process.wait() == 0, f"stack.sh {command} failed"


async def test_broker_down_answers_503_and_nothing_is_accepted(ingest_factory) -> None:
    app = await ingest_factory(publish_timeout_s=2.0, retry_after_s=3)
    pushed = copy.deepcopy(EXAMPLES["dossier.submitted"])
    pushed["id"] = str(uuid.uuid4())
    assert (await app.post({**pushed, "id": str(uuid.uuid4())})).status_code == 202
    try:
        await stack("kafka-down")
        response = await app.post(pushed)
    finally:
        await stack("kafka-up")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "3"
    for _ in range(30):
        retried = await app.post(pushed)
        if retried.status_code == 202:
            break
        await asyncio.sleep(1)
    assert retried.json() == {"accepted": 1, "duplicates": 0}

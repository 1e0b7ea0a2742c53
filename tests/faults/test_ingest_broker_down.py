"""Ingest's 503 while its broker is down: nothing accepted, and the retry after recovery publishes.

The broker stopped is the fault tier's private one, so the shared broker other tests use is never
touched.
"""

from __future__ import annotations

import asyncio
import copy
import uuid

import pytest
from dunghan_common.events import EXAMPLES

from tests.integration.ingest.conftest import ingest_factory  # noqa: F401 - the fixture

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.faults]


async def test_broker_down_answers_503_and_nothing_is_accepted(
    ingest_factory,  # noqa: F811 - the imported fixture
    private_stack,
) -> None:
    app = await ingest_factory(
        bootstrap=private_stack.bootstrap, publish_timeout_s=2.0, retry_after_s=3
    )
    pushed = copy.deepcopy(EXAMPLES["dossier.submitted"])
    pushed["id"] = str(uuid.uuid4())
    assert (await app.post({**pushed, "id": str(uuid.uuid4())})).status_code == 202
    try:
        await private_stack.run("kafka-down")
        response = await app.post(pushed)
    finally:
        await private_stack.run("kafka-up")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "3"
    assert "accepted" not in response.json()
    for _ in range(60):
        retried = await app.post(pushed)
        if retried.status_code == 202:
            break
        await asyncio.sleep(1)
    # The 503 claimed nothing: the retry is accepted, not counted as a duplicate.
    assert retried.json() == {"accepted": 1, "duplicates": 0}

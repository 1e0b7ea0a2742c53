"""Push an NDJSON sample to ingest (`POST /v1/events`), in batches, as the provincial system would.

Batches of at most 1,000 lines go as `application/x-ndjson` with the source's API key and, when a
signing secret is given, a Standard Webhooks signature. 429 and 503 are retried after their
`Retry-After`; any other refusal stops the replay with the API's answer. Resending is safe: ingest
counts events it already accepted as duplicates.

Order: `time` sends the lines as they are (a generated file is in the order the source sent its
events, interleaved, late and resent as a live feed is). `dossier` sends the events that name no
dossier first (outages), then each dossier's events together, whole dossiers per batch: the way
to load *history*. Replaying a past month in time order, the services judge each dossier by what
has arrived so far while its deadline is long past: a dossier whose result is still a few
batches away looks overdue for a moment, and its breach, attribution and letter are real by the
time the result arrives. Grouped, every dossier arrives whole.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import httpx
import orjson

DEV_INGEST_KEY: Final = "dev-ingest-key"
RETRYABLE: Final = frozenset({429, 503})


class ReplayError(RuntimeError):
    """Ingest refused a batch for a reason a retry cannot fix."""


@dataclass(frozen=True, slots=True)
class ReplayTarget:
    """Where and how to push: ingest's URL, the source's key and optional signing secret."""

    url: str = "http://127.0.0.1:8000"
    key: str = DEV_INGEST_KEY
    signing_secret: str | None = None
    batch_size: int = 1000
    concurrency: int = 4
    max_retries: int = 30
    order: Literal["time", "dossier"] = "time"


@dataclass(slots=True)
class ReplayResult:
    """What ingest answered, summed over the batches."""

    requests: int = 0
    accepted: int = 0
    duplicates: int = 0
    retries: int = 0
    seconds: float = 0.0


def batches(lines: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    """Non-empty lines grouped `size` at a time."""
    batch: list[bytes] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def by_dossier(lines: Iterable[bytes]) -> list[list[bytes]]:
    """The lines grouped per dossier (`subject`) in first-seen order; subject-less ones first."""
    groups: dict[str | None, list[bytes]] = {None: []}
    for line in lines:
        line = line.strip()
        if line:
            groups.setdefault(orjson.loads(line).get("subject"), []).append(line)
    return [group for group in groups.values() if group]


def pack(groups: Iterable[list[bytes]], size: int) -> Iterator[list[bytes]]:
    """Batches of at most `size` lines made of whole groups (a larger group is split)."""
    batch: list[bytes] = []
    for group in groups:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        for start in range(0, len(group), size):
            part = group[start : start + size]
            if len(part) == size:
                yield part
            else:
                batch.extend(part)
    if batch:
        yield batch


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature header value (`v1,<base64 HMAC-SHA256>`)."""
    key = (
        base64.b64decode(secret.removeprefix("whsec_"))
        if secret.startswith("whsec_")
        else secret.encode()
    )
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def replay_file(path: Path, target: ReplayTarget, client: httpx.AsyncClient) -> ReplayResult:
    """Replay an NDJSON file."""
    with path.open("rb") as handle:
        return await replay(handle, target, client)


async def replay(
    lines: Iterable[bytes], target: ReplayTarget, client: httpx.AsyncClient
) -> ReplayResult:
    """Push every line, `concurrency` batches in flight, each retried until ingest takes it."""
    result, started = ReplayResult(), time.perf_counter()
    queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue(maxsize=target.concurrency * 2)

    async def worker() -> None:
        while (batch := await queue.get()) is not None:
            await _send(batch, target, client, result)

    workers = [asyncio.create_task(worker()) for _ in range(target.concurrency)]
    try:
        chosen = (
            pack(by_dossier(lines), target.batch_size)
            if target.order == "dossier"
            else batches(lines, target.batch_size)
        )
        for batch in chosen:
            await _put(queue, batch, workers)
        for _ in workers:
            await _put(queue, None, workers)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    result.seconds = time.perf_counter() - started
    return result


async def _put(
    queue: asyncio.Queue[list[bytes] | None],
    item: list[bytes] | None,
    workers: list[asyncio.Task[None]],
) -> None:
    """Queue an item, but surface a worker's failure instead of waiting on a full queue for ever."""
    while True:
        for task in workers:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        try:
            await asyncio.wait_for(queue.put(item), timeout=1.0)
            return
        except TimeoutError:
            continue


async def _send(
    batch: list[bytes], target: ReplayTarget, client: httpx.AsyncClient, result: ReplayResult
) -> None:
    """POST one batch until it is accepted (202) or refused for good."""
    body = b"\n".join(batch) + b"\n"
    url = f"{target.url}/v1/events"
    await post_until_taken(client, url, body, _headers(target, body), target, result, 202)


async def post_until_taken(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    target: ReplayTarget,
    result: ReplayResult,
    taken: int,
    counted: str = "accepted",
) -> None:
    """POST until ingest answers ``taken``, retrying a broken connection and the retryable
    statuses (after ``Retry-After``); add the answer's ``counted`` and ``duplicates`` to
    ``result``; raise `ReplayError` when refused for good."""
    for attempt in range(target.max_retries + 1):
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.TransportError:
            if attempt == target.max_retries:
                raise
            result.retries += 1
            await asyncio.sleep(min(2**attempt, 10))
            continue
        if response.status_code == taken:
            answer = response.json()
            result.requests += 1
            result.accepted += int(answer.get(counted, 0))
            result.duplicates += int(answer.get("duplicates", 0))
            return
        if response.status_code not in RETRYABLE or attempt == target.max_retries:
            raise ReplayError(f"ingest answered {response.status_code}: {response.text[:1000]}")
        result.retries += 1
        await asyncio.sleep(retry_after(response))


def retry_after(response: httpx.Response) -> float:
    """Seconds to wait from `Retry-After` (seconds form), 1 s when absent or unreadable."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _headers(target: ReplayTarget, body: bytes) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {target.key}", "Content-Type": "application/x-ndjson"}
    if target.signing_secret:
        message_id = "msg_" + hashlib.sha256(body).hexdigest()[:32]
        now = int(time.time())
        headers["webhook-id"] = message_id
        headers["webhook-timestamp"] = str(now)
        headers["webhook-signature"] = sign(target.signing_secret, message_id, now, body)
    return headers

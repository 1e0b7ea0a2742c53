"""The portal's index API as it is called (``POST .../dvc-progress-tree``), and the scheduled
fetch that stores its answers; both off unless configured (``DUNGHAN_AUDIT_PORTAL_INDEX_*``)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import httpx

from sync_audit.domain.index import AnswerRefusedError
from sync_audit.settings import PortalIndexSettings
from sync_audit.usecases.index import TZ, PortalIndex

log = logging.getLogger(__name__)
MAX_PAGES = 50


def request_body(
    root_department_id: str, year: int, month: int, page: int, size: int
) -> dict[str, Any]:
    """The request the portal's own reporting page sends for one month (docs/contract.md §3)."""
    return {
        "rootDepartmentId": root_department_id,
        "currentPage": page,
        "pageSize": size,
        "timeType": "month",
        "year": year,
        "month": month,
    }


class PortalIndexClient:
    """Fetches one month's answer, every page of children merged under the first page's parent."""

    def __init__(self, settings: PortalIndexSettings, client: httpx.AsyncClient) -> None:
        self._s, self._client = settings, client

    async def fetch(self, period: str) -> dict[str, Any]:
        """The month's answer as the portal gives it (pages merged); raises on an HTTP error."""
        year, month = (int(p) for p in period.split("-"))
        first: dict[str, Any] | None = None
        children: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            body = request_body(self._s.root_department_id, year, month, page, self._s.page_size)
            answer = await self._page(body)
            first = first or answer
            found = (answer.get("data") or {}).get("children") or []
            children += found if isinstance(found, list) else []
            if not isinstance(found, list) or len(found) < self._s.page_size:
                break
        assert first is not None
        if isinstance(first.get("data"), dict):
            first = {**first, "data": {**first["data"], "children": children}}
        return first

    async def _page(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self._s.token is not None:
            headers["Authorization"] = f"Bearer {self._s.token.get_secret_value()}"
        assert self._s.url is not None
        response = await self._client.post(self._s.url, json=body, headers=headers)
        response.raise_for_status()  # the portal answers 201 Created
        found = response.json()
        if not isinstance(found, dict):
            raise ValueError("the portal's index answer is not a JSON object")
        return found


def periods_to_fetch(now: dt.datetime, months_back: int) -> list[str]:
    """The current month (Asia/Ho_Chi_Minh) and the ``months_back`` before it, oldest first."""
    local = now.astimezone(TZ)
    index = local.year * 12 + local.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months_back, index + 1)]


async def fetch_once(
    client: PortalIndexClient, index: PortalIndex, now: dt.datetime, months_back: int
) -> int:
    """Fetch and store each month due; a refused or failed month is logged, the others go on."""
    stored = 0
    for period in periods_to_fetch(now, months_back):
        try:
            raw = await client.fetch(period)
            result = await index.put(period, raw, "fetch")
        except AnswerRefusedError as exc:
            log.warning(
                "portal index answer refused", extra={"period": period, "errors": len(exc.errors)}
            )
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "portal index fetch failed", extra={"period": period, "error": type(exc).__name__}
            )
        else:
            stored += 1
            log.info(
                "portal index stored",
                extra={
                    "period": period,
                    "matched": result.matched,
                    "unmatched": len(result.unmatched),
                },
            )
    return stored


async def index_forever(
    index: PortalIndex,
    settings: PortalIndexSettings,
    refresh_s: float,
    now: Any,
    stop: asyncio.Event | None = None,
) -> None:
    """Refresh the points-at-stake metric every ``refresh_s``; fetch from the portal on its own
    interval when a URL and an interval are configured."""
    stop = stop or asyncio.Event()
    fetching = settings.url is not None and settings.fetch_interval_s > 0
    last_fetch = float("-inf")
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(timeout=settings.timeout_s) as http:
        client = PortalIndexClient(settings, http)
        while not stop.is_set():
            try:
                if fetching and loop.time() - last_fetch >= settings.fetch_interval_s:
                    last_fetch = loop.time()
                    await fetch_once(client, index, now(), settings.months_back)
                await index.refresh_metric()
            except Exception:  # the next round tries again; the consumer beside it goes on
                log.exception("portal index round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), refresh_s)

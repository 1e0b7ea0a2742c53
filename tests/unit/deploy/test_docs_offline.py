"""Each service's ``/docs`` renders its operations in headless Chromium with the network off.

A provincial network may have no Internet: Swagger UI's script and style come from the service
itself (`dunghan_common.web`), never a CDN. The browser is cut off from everything but 127.0.0.1
(every other host name resolves to nothing, and any other address goes to a closed proxy), so a
page that needed a CDN would render no operation.
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import pytest

from tests.e2e.system import free_port
from tests.support import serving
from tests.unit.deploy.observability import tool
from tests.unit.deploy.test_openapi_docs import GENERATOR

CHROMIUM = tool("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium missing: make install")
_OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",  # loopback is never proxied; anything else fails
)
# Swagger UI shows each operation's path in an element of class opblock-summary-path.
_PATH = re.compile(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"')


async def _dump_dom(url: str) -> str:
    assert CHROMIUM is not None
    browser = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # run as root in CI
        "--disable-gpu",
        "--no-first-run",
        *_OFFLINE,
        "--virtual-time-budget=20000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(browser.communicate(), timeout=90)
    return out.decode()


def _app(service: str) -> Any:
    """The service's app as its bootstrap builds it, connected to nothing."""
    with GENERATOR._isolated():
        return GENERATOR.APPS[service]()


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("service", sorted(GENERATOR.APPS))
async def test_docs_render_every_business_operation_offline(service):
    app = _app(service)
    port = free_port()
    async with serving(app, port, lifespan="off", log_level="warning"):
        dom = await _dump_dom(f"http://127.0.0.1:{port}/docs")
    shown = {html.unescape(p) for p in _PATH.findall(dom)}
    business = {p for p in app.openapi()["paths"] if p.startswith("/v1/")}
    assert business, f"{service}: no /v1 operation in its OpenAPI document"
    assert business <= shown, f"{service}: /docs did not render {business - shown}"
    assert "cdn." not in dom, "the page still names a CDN"

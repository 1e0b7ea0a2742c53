"""sla's monthly report endpoint: its KPIs in process, sync-audit's lists over its real API."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from dunghan_common.clock import FakeClock
from dunghan_common.settings import ApiToken, AuthSettings, Role, hash_secret
from dunghan_province.workbook import UNITS_SHEET
from openpyxl import load_workbook
from sla.bootstrap import Sla

from tests import support
from tests.e2e.system import free_port
from tests.integration.sla.events import cloud_event, received, slim
from tests.integration.sync_audit.harness import OPS, UNIT, Harness
from tests.integration.sync_audit.test_escalations import late_synced

pytestmark = pytest.mark.asyncio(loop_scope="session")
AUTH = AuthSettings(
    tokens=[
        ApiToken(token_hash=hash_secret(OPS), role=Role.OPS),
        ApiToken(token_hash=hash_secret(UNIT), role=Role.UNIT, unit_code="000.00.12.H50"),
    ]
)


@pytest_asyncio.fixture(loop_scope="session")
async def audit_url(topic_factory) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """sync-audit on its own fresh database, serving HTTP, with one sync_error correction."""
    name = support.unique("test")
    await support.create_database(name)
    url = support.sqlalchemy_url(name)
    audit = await Harness.start(url, topic_factory, "2025-09-02T12:00:00+07:00")
    port = free_port()
    try:
        await late_synced(audit)
        async with support.serving(audit.app, port, log_level="warning"):
            yield f"http://127.0.0.1:{port}"
    finally:
        await audit.stop()
        await support.drop_database(name)


async def test_the_monthly_report_as_workbook_and_pdf(sla_settings, audit_url: str) -> None:
    options = sla_settings.sla.model_copy(update={"audit_url": audit_url})
    settings = sla_settings.model_copy(update={"auth": AUTH, "sla": options})
    sla = Sla(settings, clock=FakeClock(dt.datetime.fromisoformat("2025-09-02T12:00:00+07:00")))
    await sla.start()
    try:
        await sla.projector().execute(
            slim(
                [
                    received("R1", "2025-08-04 07:00", 1),
                    cloud_event("R1", "result_ready", "2025-08-04 10:00", {}),
                    received("R2", "2025-08-25 07:00", 2),  # overdue since 27 August, still open
                ]
            )
        )
        transport = httpx.ASGITransport(app=sla.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
            ops = {"Authorization": f"Bearer {OPS}"}
            xlsx = await http.get("/v1/reports/2025-08", headers=ops)
            pdf = await http.get(
                "/v1/reports/2025-08", headers={**ops, "Accept": "application/pdf"}
            )
            unit = await http.get(
                "/v1/reports/2025-08", headers={"Authorization": f"Bearer {UNIT}"}
            )
            bad = await http.get("/v1/reports/2025-13", headers=ops)
    finally:
        await sla.stop()
    assert xlsx.status_code == 200, xlsx.text
    assert 'filename="bao-cao-2025-08.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    units = book[UNITS_SHEET]
    assert (units["C4"].value, units["D4"].value) == (2, 1)
    assert (units["H4"].value, units["I4"].value) == (1, 1)  # R2, at the month's end and now
    corrections = book["Hiệu chỉnh VPCP"]
    assert corrections.max_row == 3  # the one sync_error dossier sync-audit attributed
    assert corrections["D3"].value == "Lỗi đồng bộ"
    escalations = book["Chuyển Sở KH&CN"]
    assert escalations.max_row == 3  # its escalation to DOST
    assert escalations["G3"].value == dt.datetime(2025, 9, 2, 12, 0)  # opened now, local time
    assert "Điểm chỉ số" not in book.sheetnames  # sync-audit has no /v1/index-gap yet
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert unit.status_code == 403
    assert bad.status_code == 400

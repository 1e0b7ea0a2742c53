"""Pure tests: the note on an amended letter, the digest's KPI lines, decoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from dunghan_common.events import encode_event
from dunghan_common.events import event_types as t
from dunghan_common.events.findings import BreachAttributed, DossierFacts
from notify.adapters.kafka import NotifyHandler, TopicNames
from notify.domain.policy import amendment_text, digest_text, kpi_text
from notify.usecases import commands as c

T0 = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)


def test_the_note_to_the_head_names_the_letter_and_both_causes() -> None:
    subject, body = amendment_text("D-1", "3/2025/PXL", "official_delay", "software_error")
    assert "D-1" in subject
    assert "số 3/2025/PXL" in body
    assert "chậm trễ trong xử lý" in body
    assert "lỗi phần mềm" in body


def test_kpi_lines_carry_the_rate_in_vietnamese_notation() -> None:
    assert kpi_text("on_time_rate", 0.725) == "Tỷ lệ giải quyết đúng hạn 72,5%"
    assert kpi_text("online_payment_rate", None) == "Tỷ lệ thanh toán trực tuyến"
    assert kpi_text("new_kpi", 0.5) == "new_kpi 50,0%"
    body = digest_text("Sở Xây dựng", [("D-1", T0)], [kpi_text("sync_rate", 0.9)])
    assert body.splitlines()[0] == "Tổng hợp hồ sơ quá hạn của Sở Xây dựng: 1 hồ sơ."
    assert body.splitlines()[-1] == "Chỉ tiêu chưa đạt: Tỷ lệ đồng bộ lên Cổng DVCQG 90,0%"


@pytest.mark.parametrize(
    ("cause", "command"), [("software_error", c.Attributed), ("sync_error", c.Unattributed)]
)
def test_every_attribution_revision_reaches_intake_with_its_number(
    cause: str, command: type
) -> None:
    data = BreachAttributed(
        dossier=DossierFacts(
            unit_code="000.00.12.H50",
            procedure_code="1.004227",
            received_at=T0,
            due_at=T0 + timedelta(days=5),
        ),
        cause=cause,
        previous_cause="official_delay",
        revision=2,
        local_timeliness="overdue",
        portal_overdue=True,
        evidence=[],
        attributed_at=T0,
    )
    msg = encode_event(
        t.AUDIT_BREACH_ATTRIBUTED,
        "D-1",
        data.model_dump(mode="json"),
        event_id="e",
        source="dunghan-sync-audit",
        time=T0,
    )
    topics = TopicNames("alerts", "findings", "contacts", "events")
    handler = NotifyHandler(topics, intake=None)  # type: ignore[arg-type]
    record = SimpleNamespace(topic="findings", key=msg.key, value=msg.value, headers=msg.headers)
    decoded = handler.decode(record)  # type: ignore[arg-type]
    assert isinstance(decoded, command)
    assert decoded.revision == 2

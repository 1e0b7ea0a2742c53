"""Summary and monthly report rendered from fixed API answers; replay's pure parts."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from typing import Any

from dunghan_province.replay import batches, by_dossier, pack, sign
from dunghan_province.report import PROVINCE, render_report, report_rows
from dunghan_province.tables import render, width
from dunghan_province.views import Snapshot, breach_causes, render_summary

TARGETS = {"on_time_rate": 0.95, "online_submission_rate": 0.8, "online_payment_rate": 0.8}


def _unit(code: str, overdue: int, on_time: float | None, online: float) -> dict[str, Any]:
    return {
        "unit_code": code,
        "received": 100,
        "finished": 90,
        "early": 50,
        "on_time": 30,
        "late": 10,
        "open_overdue": overdue,
        "on_time_rate": on_time,
        "online_submission_rate": online,
        "online_payment_rate": None,
        "digitization_rate": 0.9,
        "sync_rate": 0.99,
        "below_target": [],
    }


def snapshot() -> Snapshot:
    units = [_unit("000.00.12.H50", 3, 0.89, 0.85), _unit("000.62.30.H50", 7, 0.97, 0.6)]
    province = {**_unit("", 10, 0.93, 0.72), "received": 200, "finished": 180}
    escalations = [
        {"id": "e1", "dossier_id": "d1", "unit_code": "000.00.12.H50", "cause": "sync_error",
         "status": "open", "opened_at": "2026-11-01T08:00:00+07:00", "resolved_at": None},
        {"id": "e2", "dossier_id": "d2", "unit_code": "000.00.12.H50", "cause": "software_error",
         "status": "resolved", "opened_at": "2026-11-02T08:00:00+07:00",
         "resolved_at": "2026-11-03T08:00:00+07:00"},
    ]  # fmt: skip
    apologies = [
        {"dossier_id": "d3", "recipient_role": "applicant", "status": "sent"},
        {"dossier_id": "d3", "recipient_role": "service_centre", "status": "pending"},
        {"dossier_id": "d4", "recipient_role": "applicant", "status": "failed"},
    ]
    causes = Counter({"official_delay": 5, "software_error": 2, "sync_error": 1})
    kpis = {"period": "2026-10", "province": province, "units": units}
    snap = Snapshot("2026-10", kpis, escalations, apologies, causes, TARGETS)
    snap.letters = [
        {"dossier_id": "d3", "status": "issued"},
        {"dossier_id": "d4", "status": "issued"},
    ]
    return snap


def test_summary_shows_overdue_causes_escalations_letters_and_kpis() -> None:
    text = render_summary(snapshot())
    lines = text.splitlines()
    overdue = [line for line in lines if "UBND xã Lệ Thủy" in line or "Sở Xây dựng" in line]
    assert overdue[0].startswith("UBND xã Lệ Thủy")
    assert overdue[0].endswith("7")
    assert any(line.startswith("Toàn tỉnh") and line.endswith("10") for line in lines)
    assert any(line.split() == ["official_delay", "5"] for line in lines)
    assert any(line.split() == ["total", "8"] for line in lines)
    assert any(line.split() == ["sync_error", "1", "0", "0", "0"] for line in lines)
    assert any(line.split() == ["software_error", "0", "0", "1", "0"] for line in lines)
    assert "2 standing, 0 withdrawn (later events showed no delay), 3 deliveries" in text


def test_a_withdrawn_letter_is_counted_apart_and_its_undelivered_copies_are_not_failures() -> None:
    snap = snapshot()
    snap.letters[1]["status"] = "withdrawn"
    lines = render_summary(snap).splitlines()
    assert any("1 standing, 1 withdrawn" in line for line in lines)
    assert any(line.split() == ["applicant", "0", "1", "1", "0"] for line in lines)
    on_time = next(line for line in lines if line.startswith("On-time"))
    assert on_time.split()[-3:] == ["93.0%", "95.0%", "BELOW"]


def test_breach_causes_count_each_dossier_once() -> None:
    attributions = [
        {"dossier_id": "a", "cause": "official_delay"},
        {"dossier_id": "b", "cause": "software_error"},
        {"dossier_id": "c", "cause": "none"},
    ]
    corrections = [
        {"dossier_id": "b", "cause": "software_error"},
        {"dossier_id": "s", "cause": "sync_error"},
    ]
    assert breach_causes(attributions, corrections) == {
        "official_delay": 1,
        "software_error": 1,
        "sync_error": 1,
    }


def test_report_rows_put_the_province_first_then_the_most_overdue() -> None:
    rows = report_rows(snapshot())
    assert [r.name for r in rows] == [PROVINCE, "UBND xã Lệ Thủy", "Sở Xây dựng"]
    assert rows[0].software_escalations == 1
    assert rows[0].sync_escalations == 1
    assert rows[2].open_escalations == 1  # the resolved one is not waiting any more


def test_report_table_marks_rates_below_target() -> None:
    text = render_report(snapshot())
    xd = next(line for line in text.splitlines() if line.startswith("Sở Xây dựng"))
    assert "89.0%!" in xd
    assert "85.0%" in xd
    assert "85.0%!" not in xd
    tp = next(line for line in text.splitlines() if line.startswith("UBND xã Lệ Thủy"))
    assert "60.0%!" in tp
    assert "97.0%!" not in tp


def test_tables_align_vietnamese_text_even_decomposed() -> None:
    decomposed = "Ho\u0302\u0300"  # "Hồ" with combining marks
    assert width(decomposed) == 2
    text = render(["a", "n"], [["Hồ", 1], ["Đông Hà", 22]], right=[1])
    assert text.splitlines()[2] == "Hồ        1"


def test_batches_skip_blank_lines_and_cap_the_size() -> None:
    lines = [b"1", b"", b"2\n", b"3", b"  ", b"4", b"5"]
    assert list(batches(lines, 2)) == [[b"1", b"2"], [b"3", b"4"], [b"5"]]


def test_signature_is_the_standard_webhooks_hmac() -> None:
    secret = base64.b64encode(b"top-secret").decode()
    body = b'{"a":1}\n'
    expected = hmac.new(b"top-secret", b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert sign(f"whsec_{secret}", "msg_1", 1_700_000_000, body) == (
        "v1," + base64.b64encode(expected).decode()
    )


def test_dossier_order_sends_subjectless_events_first_and_dossiers_whole() -> None:
    lines = [
        b'{"id":"1","subject":"A"}',
        b'{"id":"2","subject":"B"}',
        b'{"id":"3"}',
        b'{"id":"4","subject":"A"}',
        b'{"id":"5","subject":"C"}',
        b'{"id":"6","subject":"C"}',
        b'{"id":"7","subject":"C"}',
    ]
    groups = by_dossier(lines)
    assert groups == [[lines[2]], [lines[0], lines[3]], [lines[1]], lines[4:]]
    assert list(pack(groups, 3)) == [[lines[2], lines[0], lines[3]], [lines[1]], lines[4:]]
    assert list(pack([lines[:5]], 2)) == [lines[0:2], lines[2:4], lines[4:5]]

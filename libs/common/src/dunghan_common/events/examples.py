"""One valid, complete example event per pushed type (docs/contract.md §1), for OpenAPI and tests.

The data is made up but shaped like Quảng Trị's: unit codes `000.00.12.H50`, dossier codes
`000.00.12.H50-250801-0001`. Copy an example before changing it: the dicts are shared.
"""

from __future__ import annotations

from typing import Any, Final

from dunghan_common.events import event_types as t

_SOURCE = "igate-quangtri"
_DOSSIER = "000.00.12.H50-250801-0001"


def _event(
    number: int, event_type: str, time: str, data: dict[str, Any], subject: str | None = _DOSSIER
) -> dict[str, Any]:
    """A structured-mode CloudEvent, by default about the example dossier."""
    event = {
        "specversion": "1.0",
        "id": f"0198a3c2-7f10-7a4e-9c1d-{number:012d}",
        "source": _SOURCE,
        "type": event_type,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }
    return event if subject is None else {**event, "subject": subject}


_RECEIVED = {
    "unit_code": "000.00.12.H50",
    "receiving_unit_code": "000.00.31.H50",
    "procedure": {"code": "1.004227", "name": "Cấp giấy phép xây dựng", "level": "full_online"},
    "time_limit": {"value": 3, "unit": "working_days"},
    "due_at": "2025-08-06T10:00:00+07:00",
    "channel": "online",
    "fee_required": True,
    "e_result_required": True,
    "applicant": {
        "kind": "citizen",
        "name": "Nguyễn Văn An",
        "email": "an.nguyen@example.vn",
        "phone": "0912345678",
    },
    "assignee": {"id": "cb-1024", "name": "Trần Thị Bình", "email": "binh.tt@quangtri.gov.vn"},
}
_REASON = "Thiếu bản vẽ mặt bằng công trình theo Mẫu số 01"

EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    t.DOSSIER_SUBMITTED: _event(
        1,
        t.DOSSIER_SUBMITTED,
        "2025-08-01T08:05:12+07:00",
        {"procedure_code": "1.004227", "channel": "online"},
    ),
    t.DOSSIER_RECEIVED: _event(2, t.DOSSIER_RECEIVED, "2025-08-01T10:00:00+07:00", _RECEIVED),
    t.DOSSIER_ASSIGNED: _event(
        3,
        t.DOSSIER_ASSIGNED,
        "2025-08-01T10:20:00+07:00",
        {
            "assignee": {
                "id": "cb-1024",
                "name": "Trần Thị Bình",
                "email": "binh.tt@quangtri.gov.vn",
            },
            "unit_code": "000.00.12.H50",
        },
    ),
    t.DOSSIER_TRANSFERRED: _event(
        4,
        t.DOSSIER_TRANSFERRED,
        "2025-08-02T14:00:00+07:00",
        {
            "from_unit_code": "000.00.31.H50",
            "to_unit_code": "000.00.12.H50",
            "step_due_at": "2025-08-05T17:00:00+07:00",
        },
    ),
    t.DOSSIER_SUPPLEMENT_REQUESTED: _event(
        5, t.DOSSIER_SUPPLEMENT_REQUESTED, "2025-08-02T09:30:00+07:00", {"reason": _REASON}
    ),
    t.DOSSIER_SUPPLEMENT_RECEIVED: _event(
        6, t.DOSSIER_SUPPLEMENT_RECEIVED, "2025-08-04T08:15:00+07:00", {}
    ),
    t.DOSSIER_PAUSED: _event(
        7,
        t.DOSSIER_PAUSED,
        "2025-08-04T10:00:00+07:00",
        {
            "kind": "financial_obligation",
            "reason": "Chờ nộp lệ phí cấp giấy phép xây dựng",
            "legal_basis": "Nghị định 118/2025/NĐ-CP",
        },
    ),
    t.DOSSIER_RESUMED: _event(8, t.DOSSIER_RESUMED, "2025-08-04T15:40:00+07:00", {}),
    t.DOSSIER_RESCHEDULED: _event(
        9,
        t.DOSSIER_RESCHEDULED,
        "2025-08-06T16:00:00+07:00",
        {"new_due_at": "2025-08-08T10:00:00+07:00", "reason": "Cần thẩm định thực địa bổ sung"},
    ),
    t.DOSSIER_RESULT_READY: _event(
        10, t.DOSSIER_RESULT_READY, "2025-08-07T16:30:00+07:00", {"result_code": "GPXD-2025-0815"}
    ),
    t.DOSSIER_RESULT_DIGITIZED: _event(
        11,
        t.DOSSIER_RESULT_DIGITIZED,
        "2025-08-07T16:45:00+07:00",
        {
            "file_url": "https://dichvucong.quangtri.gov.vn/ketqua/000.00.12.H50-250801-0001.pdf",
            "stored_in_data_warehouse": True,
        },
    ),
    t.DOSSIER_RETURNED: _event(
        12, t.DOSSIER_RETURNED, "2025-08-08T09:00:00+07:00", {"channel": "in_person"}
    ),
    t.DOSSIER_REFUSED: _event(
        13,
        t.DOSSIER_REFUSED,
        "2025-08-01T10:05:00+07:00",
        {"reason": "Thủ tục không thuộc thẩm quyền giải quyết của đơn vị"},
    ),
    t.DOSSIER_STOPPED: _event(
        14,
        t.DOSSIER_STOPPED,
        "2025-08-05T11:00:00+07:00",
        {"reason": "Quá thời hạn bổ sung hồ sơ mà công dân không bổ sung"},
    ),
    t.DOSSIER_WITHDRAWN: _event(
        15,
        t.DOSSIER_WITHDRAWN,
        "2025-08-03T08:30:00+07:00",
        {"reason": "Công dân xin rút hồ sơ"},
    ),
    t.PAYMENT_COMPLETED: _event(
        16,
        t.PAYMENT_COMPLETED,
        "2025-08-04T15:35:00+07:00",
        {"amount": 150000, "method": "online_national_portal"},
    ),
    t.PORTAL_SYNC_SUCCEEDED: _event(
        17, t.PORTAL_SYNC_SUCCEEDED, "2025-08-01T10:00:05+07:00", {"status_code": 2}
    ),
    t.PORTAL_SYNC_FAILED: _event(
        18,
        t.PORTAL_SYNC_FAILED,
        "2025-08-07T16:30:09+07:00",
        {"status_code": 9, "error_code": "HTTP_504", "error_message": "Gateway Timeout từ DVCQG"},
    ),
    t.PORTAL_SNAPSHOT: _event(
        19,
        t.PORTAL_SNAPSHOT,
        "2025-08-08T00:00:00+07:00",
        {"status_code": 4, "due_at": "2025-08-06T10:00:00+07:00"},
    ),
    t.SYSTEM_ERROR: _event(
        20,
        t.SYSTEM_ERROR,
        "2025-08-05T09:12:44+07:00",
        {"component": "igate-sync", "error_code": "E_TIMEOUT", "message": "DVCQG không phản hồi"},
    ),
    # An outage is about a component, not a dossier: no subject, keyed by component on Kafka.
    t.SYSTEM_OUTAGE_STARTED: _event(
        21,
        t.SYSTEM_OUTAGE_STARTED,
        "2025-08-05T09:00:00+07:00",
        {"component": "igate-sync", "outage_id": "outage-2025-08-05-01"},
        subject=None,
    ),
    t.SYSTEM_OUTAGE_ENDED: _event(
        22,
        t.SYSTEM_OUTAGE_ENDED,
        "2025-08-05T11:30:00+07:00",
        {"component": "igate-sync", "outage_id": "outage-2025-08-05-01"},
        subject=None,
    ),
}

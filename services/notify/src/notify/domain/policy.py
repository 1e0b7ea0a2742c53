"""Delivery policy: retry backoff, idempotency keys, and the texts of reminders and notices."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from notify.domain.letters import moment


def backoff(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: base × 2^(attempts−1), capped."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def idempotency_key(dedup_key: str) -> str:
    """The key a send carries (Message-ID, Idempotency-Key): stable across restarts."""
    return hashlib.sha256(dedup_key.encode()).hexdigest()[:40]


def reminder_text(kind: str, dossier_id: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    """Subject and body of a reminder to the assigned official (đôn đốc)."""
    if kind == "window":
        subject = f"Đôn đốc: hồ sơ {dossier_id} sắp đến hạn"
        lead = "Hồ sơ sau đây sẽ đến hạn trong vòng 01 ngày làm việc"
        tail = "Nếu không thể trả kết quả đúng hạn, đề nghị lập Phiếu xin lỗi trước hạn."
    else:
        subject = f"Đôn đốc: hồ sơ {dossier_id} đã quá hạn"
        lead = "Hồ sơ sau đây đã quá hạn giải quyết"
        tail = "Đề nghị khẩn trương giải quyết và báo cáo lãnh đạo đơn vị."
    body = (
        f"{lead}:\n- Mã hồ sơ: {dossier_id}\n- Thủ tục: {procedure}\n"
        f"- Hạn giải quyết: {moment(due_at)}\n{tail}"
    )
    return subject, body


def escalation_text(escalation_id: str, dossier_id: str, cause: str, summary: str) -> str:
    """Body of a notice to DOST (Sở KH&CN) about a software or sync fault."""
    return f"Kiến nghị xử lý lỗi ({cause}) số {escalation_id}, hồ sơ {dossier_id}: {summary}"


def digest_text(unit_name: str, overdue: list[tuple[str, datetime]], kpis: list[str]) -> str:
    """Body of a unit head's daily digest: overdue dossiers, then KPIs below target."""
    lines = [f"Tổng hợp hồ sơ quá hạn của {unit_name}: {len(overdue)} hồ sơ."]
    lines += [f"- {dossier}: hạn {moment(due)}" for dossier, due in overdue]
    if kpis:
        lines.append("Chỉ tiêu chưa đạt: " + ", ".join(kpis))
    return "\n".join(lines)


#: The KPI names of the SLA API (docs/contract.md §3) as a unit head reads them.
KPI_LABELS = {
    "on_time_rate": "Tỷ lệ giải quyết đúng hạn",
    "online_submission_rate": "Tỷ lệ nộp hồ sơ trực tuyến",
    "online_payment_rate": "Tỷ lệ thanh toán trực tuyến",
    "digitization_rate": "Tỷ lệ số hóa kết quả",
    "sync_rate": "Tỷ lệ đồng bộ lên Cổng DVCQG",
}


def kpi_text(name: str, rate: float | None) -> str:
    """One KPI below target, with its rate this month (``72,5%``) when the API gives one."""
    label = KPI_LABELS.get(name, name)
    return label if rate is None else f"{label} {rate * 100:.1f}%".replace(".", ",")


#: The attributed causes as the unit head reads them.
CAUSE_LABELS = {
    "official_delay": "chậm trễ trong xử lý của cơ quan",
    "software_error": "lỗi phần mềm của hệ thống giải quyết TTHC",
    "sync_error": "lỗi đồng bộ lên Cổng DVCQG (hồ sơ không trễ hạn tại tỉnh)",
    "none": "hồ sơ không trễ hạn",
    "rescheduled": "lý do đơn vị nêu khi hẹn lại",
}


def amendment_text(
    dossier_id: str, letter_number: str, old_cause: str, new_cause: str
) -> tuple[str, str]:
    """Subject and body telling a unit head that a sent letter's reason was later revised."""
    subject = f"Điều chỉnh phiếu xin lỗi: hồ sơ {dossier_id}"
    old = CAUSE_LABELS.get(old_cause, old_cause)
    new = CAUSE_LABELS.get(new_cause, new_cause)
    body = (
        f"Phiếu xin lỗi số {letter_number} của hồ sơ {dossier_id} đã gửi người nộp hồ sơ "
        f"với lý do: {old}.\nKết quả cập nhật mới: {new}.\n"
        "Hệ thống không lập phiếu thứ hai: phiếu đã gửi được điều chỉnh (cùng số) và gửi lại "
        "cho người nộp hồ sơ."
    )
    return subject, body


def letter_withdrawn_text(dossier_id: str, letter_number: str) -> tuple[str, str]:
    """A notice to the unit head: a letter already sent was withdrawn (not late after all)."""
    subject = f"Thu hồi phiếu xin lỗi: hồ sơ {dossier_id}"
    body = (
        f"Phiếu xin lỗi số {letter_number} của hồ sơ {dossier_id} đã gửi người nộp hồ sơ.\n"
        "Theo kết quả cập nhật mới, hồ sơ được giải quyết đúng hạn tại tỉnh: phiếu được thu "
        "hồi trên hệ thống. Đề nghị đơn vị thông tin lại cho người nộp hồ sơ nếu cần."
    )
    return subject, body


def counted_late_text(dossier_id: str, due_at: datetime, finished_at: datetime) -> tuple[str, str]:
    """A notice to the unit head: served on time, yet counted late for the index."""
    subject = f"Hồ sơ {dossier_id} trả đúng hạn nhưng bị tính trễ hạn"
    body = (
        f"Hồ sơ {dossier_id} có kết quả lúc {moment(finished_at)}, trước thời hạn "
        f"{moment(due_at)}, nhưng bị tính trễ hạn trên Bộ chỉ số do yêu cầu bổ sung hồ sơ "
        "lần thứ hai. Không gửi phiếu xin lỗi cho người nộp hồ sơ; đề nghị đơn vị chấn chỉnh "
        "việc yêu cầu bổ sung hồ sơ quá một lần."
    )
    return subject, body


def escalation_withdrawn_text(
    escalation_id: str, dossier_id: str, cause: str, reason: str
) -> tuple[str, str]:
    """A notice to DOST: an escalation whose cause no longer holds is withdrawn."""
    subject = f"Rút kiến nghị xử lý lỗi {cause}: hồ sơ {dossier_id}"
    body = f"Kiến nghị số {escalation_id} (hồ sơ {dossier_id}) được rút: {reason}"
    return subject, body


def approval_lapsed_text(
    dossier_id: str, letter_number: str, deadline: datetime
) -> tuple[str, str]:
    """A notice to the unit head: a letter awaiting approval reached its deadline unapproved
    and was sent (docs/domain.md §5 "Approval")."""
    subject = f"Phiếu xin lỗi đã gửi khi chưa được duyệt: hồ sơ {dossier_id}"
    body = (
        f"Phiếu xin lỗi số {letter_number} của hồ sơ {dossier_id} chờ lãnh đạo đơn vị duyệt "
        f"nhưng chưa được duyệt đến hạn {moment(deadline)}.\n"
        "Để bảo đảm thời hạn xin lỗi người nộp hồ sơ, hệ thống đã gửi phiếu (người nộp hồ sơ, "
        "Trung tâm Phục vụ hành chính công và đơn vị nhận bản sao). Đề nghị lãnh đạo đơn vị "
        "kiểm tra phiếu đã gửi và duyệt các phiếu còn chờ kịp thời."
    )
    return subject, body


def approval_wanted_text(dossier_id: str, due_at: datetime) -> tuple[str, str]:
    """A notice to the unit head: a letter waits for their approval, and until when."""
    subject = f"Phiếu xin lỗi chờ duyệt: hồ sơ {dossier_id}"
    body = (
        f"Phiếu xin lỗi của hồ sơ {dossier_id} (hạn giải quyết {moment(due_at)}) chờ lãnh đạo "
        "đơn vị duyệt trước khi gửi người nộp hồ sơ.\n"
        "Hạn duyệt: 01 ngày làm việc trước hạn giải quyết; hồ sơ đã quá hạn (hoặc trong ngày "
        "làm việc cuối): trong 04 giờ làm việc (mặc định) kể từ khi lập phiếu. Quá hạn duyệt, "
        "hệ thống gửi phiếu để bảo đảm thời hạn xin lỗi và báo lại lãnh đạo đơn vị."
    )
    return subject, body

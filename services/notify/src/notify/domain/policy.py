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

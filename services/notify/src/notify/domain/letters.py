"""The apology letter of docs/domain.md §5, in Vietnamese: its reason, its fields and its HTML."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from notify.domain.directory import Unit
from notify.domain.models import Amendment, Cause, Letter

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

#: Reasons by cause; a software error says so plainly, as the chairman's order requires.
REASONS = {
    Cause.OFFICIAL_DELAY: (
        "Hồ sơ chưa được giải quyết xong trong thời hạn do quá trình thẩm định, xử lý hồ sơ "
        "tại cơ quan chậm so với thời hạn quy định."
    ),
    Cause.SOFTWARE_ERROR: (
        "Do lỗi của phần mềm Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh, "
        "hồ sơ không được xử lý đúng hạn."
    ),
}


def reason_for(cause: Cause, source_reason: str | None) -> str:
    """The letter's reason (lý do): the attributed cause's text, or the source's for reschedules."""
    if cause is Cause.RESCHEDULED:
        return source_reason or "Hồ sơ cần thêm thời gian để thẩm định, xử lý."
    return REASONS[cause]


def should_apologise(cause: str) -> bool:
    """Only a delay that is real locally earns a letter; never ``sync_error`` nor ``none``."""
    return cause in (Cause.OFFICIAL_DELAY, Cause.SOFTWARE_ERROR)


def amendment(letter: Letter, new_cause: str, sent: bool) -> Amendment:
    """What a later attribution does to the dossier's one letter (never a second letter).

    Queued: the letter is re-rendered with the new reason, or withdrawn if the new cause earns
    none. Sent (or being sent): the letter stands as delivered and the change is recorded.
    """
    if not should_apologise(new_cause):
        return Amendment.RECORDED if sent else Amendment.WITHDRAWN
    new = Cause(new_cause)
    # A reschedule's reason is the unit's own account of an official delay: it stands.
    stands = new is letter.cause or (
        letter.cause is Cause.RESCHEDULED and new is Cause.OFFICIAL_DELAY
    )
    if stands:
        return Amendment.UNCHANGED
    return Amendment.RECORDED if sent else Amendment.RERENDERED


class LetterDocument(BaseModel):
    """Everything printed on one letter, personal data included (rendered, never stored)."""

    model_config = ConfigDict(frozen=True)

    letter: Letter
    unit: Unit
    applicant_name: str | None
    applicant_address: str | None = None

    def number_text(self) -> str:
        """The letter number (số), per unit and year."""
        return f"{self.letter.number}/{self.letter.year}/PXL"

    def paragraphs(self) -> list[str]:
        """The body, in order: who, what, when due, not delivered, why, sorry, new date."""
        lt = self.letter
        name = self.applicant_name or "Ông/Bà"
        lines = [f"Kính gửi: {name}."]
        if self.applicant_address:
            lines.append(f"Địa chỉ: {self.applicant_address}.")
        lines += [
            f"Ngày {day(lt.received_at)}, {self.unit.name} tiếp nhận hồ sơ của Ông/Bà "
            f"về thủ tục: {lt.procedure_name}.",
            f"Mã hồ sơ: {lt.dossier_id}.",
            f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {moment(lt.due_at)}.",
            "Tuy nhiên, đến nay cơ quan chưa trả kết quả giải quyết hồ sơ cho Ông/Bà "
            "theo đúng thời gian đã hẹn.",
            f"Lý do: {lt.reason}",
            "Sự chậm trễ này đã gây phiền hà, làm mất thời gian, chi phí của Ông/Bà. "
            f"{self.unit.name} thành thật xin lỗi Ông/Bà và sẽ trả kết quả giải quyết "
            f"hồ sơ cho Ông/Bà vào ngày {moment(lt.new_due_at)}.",
            "Mong nhận được sự thông cảm của Ông/Bà.",
        ]
        return lines

    def heading(self) -> tuple[list[str], list[str]]:
        """The two header columns: the issuing unit, and the national heading."""
        left = [self.unit.parent_name.upper()] if self.unit.parent_name else []
        left += [self.unit.name.upper(), f"Số: {self.number_text()}"]
        right = [NATION, MOTTO, f"Quảng Trị, {long_day(self.letter.issued_at)}"]
        return left, right


def day(t: datetime) -> str:
    """dd/mm/yyyy in local time."""
    return t.astimezone(LOCAL).strftime("%d/%m/%Y")


def moment(t: datetime) -> str:
    """``HH giờ MM phút, ngày dd/mm/yyyy`` in local time."""
    local = t.astimezone(LOCAL)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def long_day(t: datetime) -> str:
    """``ngày dd tháng mm năm yyyy`` in local time."""
    local = t.astimezone(LOCAL)
    return f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def render_html(doc: LetterDocument) -> str:
    """The letter as a standalone HTML page (UTF-8)."""
    left, right = doc.heading()
    head = (
        "<table style='width:100%'><tr>"
        f"<td style='text-align:center;vertical-align:top'>{_lines(left)}</td>"
        f"<td style='text-align:center;vertical-align:top'>{_lines(right)}</td></tr></table>"
    )
    body = "".join(f"<p>{escape(p)}</p>" for p in doc.paragraphs())
    sign = _lines(doc.unit.signature_lines())
    copy = "<p><i>Nơi nhận: Như trên; Trung tâm Phục vụ hành chính công (bản sao).</i></p>"
    return (
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
        f"<title>{escape(TITLE)}</title></head><body>{head}"
        f"<h2 style='text-align:center'>{escape(TITLE)}</h2>{body}"
        f"<div style='text-align:right'>{sign}</div>{copy}</body></html>"
    )


def _lines(lines: list[str]) -> str:
    return "<br>".join(f"<b>{escape(x)}</b>" for x in lines if x)

"""The apology letter of docs/domain.md §5, in Vietnamese: its form, reason, dates and fields.

What the letter says is decided here (pure); how it looks is the template's business
(adapters/render.py, templates/letter.html.j2).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from dunghan_common.units import UnitEntry
from pydantic import AwareDatetime, BaseModel, ConfigDict

from notify.domain.models import Cause, Letter

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
#: Mẫu số 04 of Thông tư 03/2025/TT-VPCP applies to letters issued from this day.
TT03_2025_FROM = date(2025, 9, 15)
_LOCAL_KINDS = ("ward", "commune", "special_zone")

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


class Form(StrEnum):
    """The letter's legal form, by the rules in force on the day of issue."""

    TT03_2025 = "tt03_2025"  # Mẫu số 04, Thông tư 03/2025/TT-VPCP
    TT01_2018 = "tt01_2018"  # Phiếu xin lỗi và hẹn lại ngày trả kết quả (2018)


TitleWord = Literal["Phiếu", "Văn bản"]
#: Printed for the addressee when the applicant's sealed contact cannot be opened.
UNREADABLE_ADDRESSEE = "(không đọc được tên người nhận)"


def form_for(issued_at: datetime) -> Form:
    """The form in force on the (local) day of issue."""
    issued = issued_at.astimezone(LOCAL).date()
    return Form.TT03_2025 if issued >= TT03_2025_FROM else Form.TT01_2018


def title_of(form: Form, word: TitleWord = "Phiếu", finished: bool = False) -> str:
    """The printed title: the form's, or a plain apology for a result already given late."""
    if finished:
        return f"{word if form is Form.TT03_2025 else 'Phiếu'} xin lỗi".upper()
    if form is Form.TT01_2018:
        return "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
    return f"{word} xin lỗi và đề nghị gia hạn thời gian giải quyết".upper()


def reason_for(cause: Cause, source_reason: str | None) -> str:
    """The letter's reason (lý do): the attributed cause's text, or the source's for reschedules."""
    if cause is Cause.RESCHEDULED:
        return source_reason or "Hồ sơ cần thêm thời gian để thẩm định, xử lý."
    return REASONS[cause]


def should_apologise(cause: str) -> bool:
    """Only a delay that is real locally earns a letter; never ``sync_error`` nor ``none``."""
    return cause in (Cause.OFFICIAL_DELAY, Cause.SOFTWARE_ERROR)


def day(t: datetime) -> str:
    """dd/mm/yyyy in local time."""
    return t.astimezone(LOCAL).strftime("%d/%m/%Y")


def moment(t: datetime) -> str:
    """``15 giờ 03 phút, ngày 10/12/2026`` in local time."""
    local = t.astimezone(LOCAL)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def long_day(t: datetime | date) -> str:
    """``ngày 05 tháng 3 năm 2026`` (Nghị định 30/2020): days below 10 and months 1, 2 padded."""
    d = t.astimezone(LOCAL).date() if isinstance(t, datetime) else t
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


class Applicant(BaseModel):
    """Whom the letter addresses (personal data: rendered, never stored in the letter row)."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    kind: str = "citizen"
    #: the contact is kept but no contacts key opens it: the addressee is printed unavailable.
    unreadable: bool = False

    @property
    def organisation(self) -> bool:
        """An organisation is addressed by its name, not "Ông/Bà"."""
        return self.kind in ("organization", "organisation") and bool(self.name)


class LetterDocument(BaseModel):
    """Everything printed on one letter, decided from the letter row and the directory.

    ``ready_at`` set: the dossier finished late, the letter apologises for the late result and
    says when it was ready, with no new date (docs/domain.md §5, the second truthful text).
    """

    model_config = ConfigDict(frozen=True)

    letter: Letter
    unit: UnitEntry
    applicant: Applicant = Applicant()
    #: the service centre whose copy is sent (None: no copy goes to a centre).
    copy_to: str | None = None
    #: whether the processing unit's own copy is sent (to its mailbox, the "Lưu: VT" copy).
    unit_copy: bool = True
    title_word: TitleWord = "Phiếu"
    ready_at: AwareDatetime | None = None

    @property
    def form(self) -> Form:
        """The form in force on the day of issue."""
        return form_for(self.letter.issued_at)

    @property
    def title(self) -> str:
        """The printed title."""
        return title_of(self.form, self.title_word, self.ready_at is not None)

    def number_text(self) -> str:
        """``Số: 05/PXL-SXD``: the number in the unit's register, then its abbreviation."""
        return f"{self.letter.number:02d}/PXL-{self.unit.short_name()}"

    def dateline(self) -> str:
        """``Quảng Trị, ngày 05 tháng 3 năm 2026`` (the commune's own place name for a commune)."""
        return f"{self.unit.place_name}, {long_day(self.letter.issued_at)}"

    def addressee(self) -> str:
        """``Ông/Bà <name>``, or the organisation's name."""
        a = self.applicant
        if a.unreadable:
            return f"Ông/Bà {UNREADABLE_ADDRESSEE}"
        if a.organisation:
            return a.name or ""
        return f"Ông/Bà {a.name}" if a.name else "Ông/Bà"

    def you(self) -> str:
        """How the body names the applicant."""
        return "Quý tổ chức" if self.applicant.organisation else "Ông/Bà"

    def paragraphs(self) -> list[str]:
        """The body, in order: reception, appointment, what happened, why, the apology."""
        lt, you, unit = self.letter, self.you(), self.unit.name
        lines = [
            f"Ngày {day(lt.received_at)}, {unit} tiếp nhận hồ sơ của {you} "
            f"về thủ tục: {lt.procedure_name}.",
            f"Mã hồ sơ: {lt.dossier_id}.",
            f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {moment(lt.due_at)}.",
        ]
        sorry = f"Sự chậm trễ này đã gây phiền hà, làm mất thời gian, chi phí của {you}. "
        if self.ready_at is not None:
            lines.append(
                f"Kết quả giải quyết hồ sơ đã có từ {moment(self.ready_at)}, "
                "chậm so với thời gian đã hẹn."
            )
            sorry += f"{unit} thành thật xin lỗi {you}."
        else:
            lines.append(
                f"Tuy nhiên, đến nay {unit} chưa trả kết quả giải quyết hồ sơ cho {you} "
                "theo đúng thời gian đã hẹn."
            )
            sorry += f"{unit} thành thật xin lỗi {you} và {self._promise()}."
        body = [*lines, f"Lý do: {lt.reason}", sorry, f"Mong nhận được sự thông cảm của {you}."]
        if lt.amendments:  # the same letter, amended after it was sent: never a second one
            body.insert(0, f"Phiếu này điều chỉnh Phiếu cùng số đã gửi {you} trước đây.")
        return body

    def _promise(self) -> str:
        when = moment(self.letter.new_due_at)
        if self.form is Form.TT01_2018:
            return f"hẹn trả kết quả giải quyết hồ sơ cho {self.you()} lúc {when}"
        return f"đề nghị gia hạn thời gian giải quyết hồ sơ đến {when}"

    def heading(self) -> list[str]:
        """The issuing unit's heading: the governing body, then the unit (upper case)."""
        lines = [self.unit.parent_name] if self.unit.parent_name else []
        return [x.upper() for x in [*lines, self.unit.name]]

    def signature(self) -> tuple[list[str], str]:
        """The signature block's title lines (``TM.``/``KT.`` as the case is) and signer's name."""
        u = self.unit
        lines = ["TM. ỦY BAN NHÂN DÂN"] if u.kind in _LOCAL_KINDS else []
        head = u.head.title if u.head else ""
        if u.signs == "deputy" and u.deputy is not None:
            return [*lines, f"KT. {head}".upper(), u.deputy.title.upper()], u.deputy.name
        return [*lines, head.upper()], u.head.name if u.head else ""

    def recipients(self) -> list[str]:
        """``Nơi nhận:``: the applicant, then the copies that are sent: the service centre's,
        and the processing unit's own ("Lưu: VT, SXD.", to its mailbox). The last line ends
        with a full stop."""
        lines = ["Như trên", *([self.copy_to] if self.copy_to else [])]
        lines += [f"Lưu: VT, {self.unit.short_name()}"] if self.unit_copy else []
        return [f"{x};" for x in lines[:-1]] + [f"{lines[-1]}."]

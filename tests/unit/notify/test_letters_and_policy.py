"""Pure tests of the letter, its PDF, the delivery policy and the settings."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from notify.adapters.crypto import FernetSealer
from notify.adapters.directory import load_directory
from notify.adapters.pdf import PdfLetterRenderer
from notify.domain.letters import LetterDocument, reason_for, render_html, should_apologise
from notify.domain.models import Cause, Letter
from notify.domain.policy import backoff, idempotency_key
from notify.settings import DEV_CONTACTS_KEY, NotifyOptions, NotifySettings
from pydantic import SecretStr, ValidationError
from pypdf import PdfReader

FONTS = Path("/usr/share/fonts/truetype/dejavu")
T0 = datetime(2025, 8, 1, 3, 0, tzinfo=UTC)


def _doc(cause: Cause = Cause.SOFTWARE_ERROR) -> LetterDocument:
    letter = Letter(
        id=1,
        dossier_id="000.00.12.H50-250801-0001",
        unit_code="000.00.12.H50",
        number=7,
        year=2025,
        issued_at=T0 + timedelta(days=6),
        cause=cause,
        reason=reason_for(cause, None),
        procedure_name="Cấp giấy phép xây dựng",
        received_at=T0,
        due_at=T0 + timedelta(days=5),
        new_due_at=T0 + timedelta(days=12),
    )
    unit = load_directory(Path("config/notify")).unit("000.00.12.H50")
    return LetterDocument(letter=letter, unit=unit, applicant_name="Nguyễn Văn An")


def test_only_local_delays_earn_a_letter() -> None:
    assert should_apologise("official_delay")
    assert should_apologise("software_error")
    assert not should_apologise("sync_error")
    assert not should_apologise("none")


def test_software_error_reason_says_so() -> None:
    assert "lỗi của phần mềm" in reason_for(Cause.SOFTWARE_ERROR, None)
    assert "lỗi" not in reason_for(Cause.OFFICIAL_DELAY, None)
    assert reason_for(Cause.RESCHEDULED, "Cần xác minh") == "Cần xác minh"


def test_html_carries_every_field_of_the_letter() -> None:
    html = render_html(_doc())
    for needed in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ XÂY DỰNG",
        "Số: 7/2025/PXL",
        "ngày 07 tháng 08 năm 2025",
        "Nguyễn Văn An",
        "01/08/2025",
        "Cấp giấy phép xây dựng",
        "000.00.12.H50-250801-0001",
        "10 giờ 00 phút, ngày 06/08/2025",
        "chưa trả kết quả",
        "Lý do: Do lỗi của phần mềm",
        "thành thật xin lỗi",
        "10 giờ 00 phút, ngày 13/08/2025",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Thị Mai",
    ):
        assert needed in html, needed


def test_pdf_text_keeps_vietnamese_diacritics() -> None:
    pdf = PdfLetterRenderer(FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf").pdf(_doc())
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for needed in (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Nguyễn Văn An",
        "Độc lập - Tự do - Hạnh phúc",
        "thành thật xin lỗi",
        "Cấp giấy phép xây dựng",
    ):
        assert needed in text, needed


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 30, 100).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_idempotency_key_is_stable() -> None:
    assert idempotency_key("apology:1:applicant:email") == idempotency_key(
        "apology:1:applicant:email"
    )
    assert idempotency_key("a") != idempotency_key("b")


def test_sealed_contact_round_trips_and_hides_the_data() -> None:
    sealer = FernetSealer(DEV_CONTACTS_KEY)
    sealed = sealer.seal({"name": "Nguyễn Văn An", "email": "an@example.vn"})
    assert b"an@example.vn" not in sealed
    assert sealer.open(sealed)["email"] == "an@example.vn"


def test_development_contacts_key_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The development environment's placeholder ops token would be refused first.
    monkeypatch.delenv("DUNGHAN_AUTH_TOKENS", raising=False)
    with pytest.raises(ValidationError, match="contacts_key"):
        NotifySettings(env="production")
    real = NotifyOptions(contacts_key=SecretStr("x" * 43 + "="))
    assert NotifySettings(env="production", notify=real).env == "production"

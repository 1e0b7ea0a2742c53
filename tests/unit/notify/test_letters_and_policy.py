"""Pure tests of the letter, its PDF, the delivery policy and the settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from dunghan_common.units import load_units
from notify.adapters.crypto import FernetSealer
from notify.adapters.render import LetterRenderer
from notify.domain.letters import LetterDocument, reason_for, should_apologise
from notify.domain.models import Cause, Letter
from notify.domain.policy import backoff, idempotency_key
from notify.ports import ContactUnreadable
from notify.settings import DEV_CONTACTS_KEY, NotifyOptions, NotifySettings
from notify.usecases.letter_jobs import letter_document
from pydantic import SecretStr, ValidationError

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
    doc = letter_document(load_units(Path("config/units.toml")), letter, {"name": "Nguyễn Văn An"})
    assert doc is not None
    return doc


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
    html = LetterRenderer(Path("/usr/share/fonts/truetype/liberation2")).html(_doc())
    for needed in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "SỞ XÂY DỰNG",
        "Số: 07/PXL-SXD",
        "Quảng Trị, ngày 07 tháng 8 năm 2025",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Nguyễn Văn An.",
        "01/08/2025",
        "Cấp giấy phép xây dựng",
        "000.00.12.H50-250801-0001",
        "10 giờ 00 phút, ngày 06/08/2025",
        "chưa trả kết quả",
        "Lý do: Do lỗi của phần mềm",
        "thành thật xin lỗi",
        "lúc 10 giờ 00 phút, ngày 13/08/2025",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nguyễn Thị Mai",
        "<li>Trung tâm Phục vụ hành chính công tỉnh;</li>",
    ):
        assert needed in html, needed
    assert "vào ngày" not in html


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 30, 100).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_idempotency_key_is_stable() -> None:
    assert idempotency_key("apology:1:applicant:email") == idempotency_key(
        "apology:1:applicant:email"
    )
    assert idempotency_key("a") != idempotency_key("b")


def test_sealed_contact_round_trips_and_hides_the_data() -> None:
    sealer = FernetSealer([DEV_CONTACTS_KEY])
    sealed = sealer.seal({"name": "Nguyễn Văn An", "email": "an@example.vn"})
    assert b"an@example.vn" not in sealed
    assert sealer.open(sealed)["email"] == "an@example.vn"


def test_a_rotated_key_still_opens_until_resealed_then_may_go() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = FernetSealer([old]).seal({"email": "an@example.vn"})
    rotating = FernetSealer([new, old])
    assert rotating.open(sealed)["email"] == "an@example.vn"
    resealed = rotating.reseal(sealed)
    assert FernetSealer([new]).open(resealed)["email"] == "an@example.vn"
    with pytest.raises(ContactUnreadable):
        FernetSealer([new]).open(sealed)


_REAL = {
    "channels": "real",
    "sms_url": "https://sms.example.vn/v1/sms",
    "dost_webhook_url": "https://dost.example.vn/hooks",
    "dost_webhook_secret": SecretStr("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    "contacts_key": SecretStr("x" * 43 + "="),
}


@pytest.mark.parametrize("missing", ["sms_url", "dost_webhook_url", "dost_webhook_secret"])
def test_production_refuses_to_start_without_every_endpoint(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv("DUNGHAN_AUTH_TOKENS", raising=False)
    with pytest.raises(ValidationError, match=missing):
        NotifySettings(env="production", notify=NotifyOptions(**(_REAL | {missing: None})))
    with pytest.raises(ValidationError, match="channels"):
        NotifySettings(env="production", notify=NotifyOptions(**(_REAL | {"channels": "log"})))


def test_development_contacts_key_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The development environment's placeholder ops token would be refused first.
    monkeypatch.delenv("DUNGHAN_AUTH_TOKENS", raising=False)
    with pytest.raises(ValidationError, match="contacts_key"):
        NotifySettings(env="production")
    real = NotifyOptions(**_REAL)
    assert NotifySettings(env="production", notify=real).env == "production"

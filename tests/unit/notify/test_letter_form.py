"""The letter's form and layout (docs/domain.md §5, Nghị định 30/2020): dates, form, PDF."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from notify.adapters.render import LetterRenderer
from notify.domain.letters import Form, form_for, long_day, moment, title_of
from pypdf import PdfReader

from tests.letter_samples import FONTS, samples

MM = 72 / 25.4
A4 = (595.28, 841.89)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),
        (date(2026, 12, 10), "ngày 10 tháng 12 năm 2026"),
        (date(2026, 1, 20), "ngày 20 tháng 01 năm 2026"),
        (date(2026, 2, 9), "ngày 09 tháng 02 năm 2026"),
        (date(2025, 5, 15), "ngày 15 tháng 5 năm 2025"),
        (datetime(2026, 2, 28, 18, 0, tzinfo=UTC), "ngày 01 tháng 3 năm 2026"),  # local day
    ],
)
def test_long_dates_pad_days_below_10_and_months_1_and_2(day: date, text: str) -> None:
    assert long_day(day) == text


def test_times_are_hours_minutes_then_the_day() -> None:
    assert moment(datetime(2026, 12, 10, 8, 3, tzinfo=UTC)) == "15 giờ 03 phút, ngày 10/12/2026"


def test_the_form_follows_the_day_of_issue_in_local_time() -> None:
    assert form_for(datetime(2025, 9, 14, 16, 59, tzinfo=UTC)) is Form.TT01_2018
    assert form_for(datetime(2025, 9, 14, 17, 0, tzinfo=UTC)) is Form.TT03_2025  # 00:00 local
    assert title_of(Form.TT01_2018) == "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
    assert title_of(Form.TT03_2025) == "PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"
    assert title_of(Form.TT03_2025, "Văn bản").startswith("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ")


def test_the_texts_tell_the_truth_of_each_case() -> None:
    docs = samples()
    open_2018 = " ".join(docs["form-2018-open"].paragraphs())
    assert "chưa trả kết quả" in open_2018
    assert "lúc 15 giờ 03 phút, ngày 14/08/2025" in open_2018
    organisation = docs["form-2025-open"]
    assert organisation.addressee() == "Công ty TNHH Xây dựng Hòa Bình"
    body = " ".join(organisation.paragraphs())
    assert "Ông/Bà" not in body
    assert "đề nghị gia hạn thời gian giải quyết hồ sơ đến 15 giờ 03 phút, ngày 11/03/2026" in body
    assert organisation.dateline() == "Mỹ Thủy, ngày 05 tháng 3 năm 2026"
    assert organisation.signature()[0][0] == "TM. ỦY BAN NHÂN DÂN"
    late = docs["form-2025-finished-late"]
    text = " ".join(late.paragraphs())
    assert "đã có từ 15 giờ 03 phút, ngày 09/12/2026" in text
    assert "chưa trả" not in text
    assert "17/12/2026" not in text  # no new date for a result already given
    assert late.title == "VĂN BẢN XIN LỖI"


def _words(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, float]]:
    """Every word's box (xMin, yMin, xMax, yMax; points from the top left), by pdftotext."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    boxes = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', out)
    return [(float(a), float(b), float(c), float(d)) for a, b, c, d in boxes]


def _fonts(reader: PdfReader) -> set[str]:
    """Base names of the first page's fonts that are embedded (carry a font file)."""
    found = set()
    for ref in reader.pages[0]["/Resources"]["/Font"].values():
        font = ref.get_object()
        for f in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
            desc = f.get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                found.add(str(f["/BaseFont"]).split("+")[-1].replace("-", ""))
    return found


@pytest.mark.parametrize("name", ["form-2018-open", "form-2025-open", "form-2025-finished-late"])
def test_each_forms_pdf_is_a4_with_the_decrees_margins_and_an_embedded_serif(
    name: str, tmp_path: Path
) -> None:
    doc = samples()[name]
    pdf = LetterRenderer(FONTS).pdf(doc)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.5)
    words = _words(pdf, tmp_path)
    left, top = min(w[0] for w in words), min(w[1] for w in words)
    right, bottom = max(w[2] for w in words), max(w[3] for w in words)
    assert 30 * MM - 0.5 <= left <= 35 * MM  # justified lines start on the left margin
    assert 15 * MM - 0.5 <= A4[0] - right <= 20 * MM  # ... and end on the right one
    assert 20 * MM - 0.5 <= top <= 25 * MM + 14  # the first line sits under the top margin
    assert A4[1] - bottom >= 20 * MM  # nothing written into the bottom margin
    fonts = _fonts(reader)  # every glyph in Liberation Serif: no fallback font for Vietnamese
    assert {"LiberationSerif", "LiberationSerifBold", "LiberationSerifItalic"} <= fonts
    assert all(f.startswith("LiberationSerif") for f in fonts), fonts
    text = " ".join(reader.pages[0].extract_text().split())
    for needed in (doc.title, "Độc lập - Tự do - Hạnh phúc", doc.dateline(), "Nơi nhận:"):
        assert needed in text, needed
    assert "thành thật xin lỗi" in text

"""The letter as PDF (fpdf2) with an embedded TrueType font that renders Vietnamese."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from notify.domain.letters import TITLE, LetterDocument

_FAMILY = "letter"


class PdfLetterRenderer:
    """Renders ``LetterDocument`` on A4 with the configured regular and bold fonts."""

    def __init__(self, regular: Path, bold: Path) -> None:
        for path in (regular, bold):
            if not path.is_file():
                raise FileNotFoundError(f"letter font not found: {path}")
        self._regular, self._bold = regular, bold

    def pdf(self, doc: LetterDocument) -> bytes:
        """The PDF bytes of one letter."""
        pdf = FPDF(format="A4")
        pdf.set_margins(20, 15, 15)
        pdf.add_font(_FAMILY, "", str(self._regular))
        pdf.add_font(_FAMILY, "B", str(self._bold))
        pdf.add_page()
        self._heading(pdf, doc)
        pdf.set_font(_FAMILY, "B", 13)
        pdf.cell(0, 10, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(_FAMILY, "", 11)
        for paragraph in doc.paragraphs():
            pdf.multi_cell(0, 6, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        pdf.ln(4)
        pdf.set_font(_FAMILY, "B", 11)
        for line in doc.unit.signature_lines():
            pdf.set_x(110)
            pdf.cell(80, 6, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)
        pdf.set_font(_FAMILY, "", 9)
        pdf.multi_cell(0, 5, "Nơi nhận: Như trên; Trung tâm Phục vụ hành chính công (bản sao).")
        return bytes(pdf.output())

    def _heading(self, pdf: FPDF, doc: LetterDocument) -> None:
        left, right = doc.heading()
        top = pdf.get_y()
        pdf.set_font(_FAMILY, "B", 10)
        for line in left:
            pdf.cell(75, 5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = pdf.get_y()
        pdf.set_y(top)
        for line in right:
            pdf.set_x(95)
            pdf.cell(100, 5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(bottom, pdf.get_y()) + 6)

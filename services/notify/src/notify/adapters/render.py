"""The letter as HTML (Jinja2) and PDF (WeasyPrint), with an embedded serif covering Vietnamese.

One template (templates/letter.html.j2) for both: the e-mail's HTML part and the PDF attached
to it. The PDF embeds Liberation Serif (metrically compatible with Times New Roman, full
Vietnamese coverage from version 2: Debian's fonts-liberation2), the serif Nghị định 30/2020
asks for.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from weasyprint import HTML

from notify.domain.letters import MOTTO, NATION, LetterDocument

#: (CSS weight, CSS style, file name) of the four faces the letter uses.
FACES = (
    ("normal", "normal", "LiberationSerif-Regular.ttf"),
    ("bold", "normal", "LiberationSerif-Bold.ttf"),
    ("normal", "italic", "LiberationSerif-Italic.ttf"),
    ("bold", "italic", "LiberationSerif-BoldItalic.ttf"),
)


class LetterRenderer:
    """Renders ``LetterDocument`` as HTML and as an A4 PDF; CPU-bound (call it off the loop)."""

    def __init__(self, font_dir: Path) -> None:
        missing = [name for _, _, name in FACES if not (font_dir / name).is_file()]
        if missing:
            raise FileNotFoundError(f"letter fonts not found in {font_dir}: {missing}")
        self._fonts = [(w, s, (font_dir / name).resolve().as_uri()) for w, s, name in FACES]
        self._env = Environment(
            loader=PackageLoader("notify", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            undefined=StrictUndefined,
        )
        self._env.filters["nobreak"] = nobreak

    def html(self, doc: LetterDocument, embed_fonts: bool = False) -> str:
        """The letter as a standalone HTML page (UTF-8); the PDF's also declares its fonts."""
        template = self._env.get_template("letter.html.j2")
        fonts = self._fonts if embed_fonts else []
        return template.render(doc=doc, nation=NATION, motto=MOTTO, fonts=fonts)

    def pdf(self, doc: LetterDocument) -> bytes:
        """The PDF bytes of one letter."""
        pdf: bytes = HTML(string=self.html(doc, embed_fonts=True)).write_pdf()
        return pdf


def nobreak(text: str) -> Markup:
    """The text, escaped, with "Ông/Bà" kept on one line (a break after the slash reads badly)."""
    return Markup(str(escape(text)).replace("Ông/Bà", '<span class="nobreak">Ông/Bà</span>'))  # noqa: S704 - escaped first

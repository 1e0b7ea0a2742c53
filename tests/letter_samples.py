"""Sample letters of each form, from the committed unit directory (tests and docs/letters).

python -m tests.letter_samples docs/letters   # writes <name>.pdf and <name>.png
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from dunghan_common.units import load_units
from notify.adapters.render import LetterRenderer
from notify.domain.letters import LetterDocument, reason_for
from notify.domain.models import Cause, Letter
from notify.usecases.letter_jobs import letter_document

FONTS = Path("/usr/share/fonts/truetype/liberation2")
UNITS = Path("config/units.toml")


def _letter(
    unit: str, issued: datetime, received: datetime, due: datetime, new: datetime
) -> Letter:
    return Letter(
        id=1,
        dossier_id=f"{unit}-{received:%y%m%d}-0007",
        unit_code=unit,
        number=5,
        year=issued.year,
        issued_at=issued,
        cause=Cause.OFFICIAL_DELAY,
        reason=reason_for(Cause.OFFICIAL_DELAY, None),
        procedure_name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        received_at=received,
        due_at=due,
        new_due_at=new,
        receiving_unit_code="000.00.31.H50",
    )


def samples() -> dict[str, LetterDocument]:
    """One letter per form and text: 2018 open, 2025 open (organisation), 2025 finished late."""
    units = load_units(UNITS)
    t = datetime
    docs = {
        "form-2018-open": letter_document(
            units,
            _letter(
                "000.00.12.H50",
                t(2025, 8, 7, 2, 0, tzinfo=UTC),
                t(2025, 7, 28, 2, 15, tzinfo=UTC),
                t(2025, 8, 6, 8, 3, tzinfo=UTC),
                t(2025, 8, 14, 8, 3, tzinfo=UTC),
            ),
            {"name": "Nguyễn Văn An", "kind": "citizen"},
        ),
        "form-2025-open": letter_document(
            units,
            _letter(
                "000.62.66.H50",
                t(2026, 3, 5, 2, 0, tzinfo=UTC),
                t(2026, 2, 20, 2, 15, tzinfo=UTC),
                t(2026, 3, 4, 8, 3, tzinfo=UTC),
                t(2026, 3, 11, 8, 3, tzinfo=UTC),
            ),
            {"name": "Công ty TNHH Xây dựng Hòa Bình", "kind": "organization"},
        ),
        "form-2025-finished-late": letter_document(
            units,
            _letter(
                "000.00.05.H50",
                t(2026, 12, 10, 3, 0, tzinfo=UTC),
                t(2026, 11, 20, 2, 15, tzinfo=UTC),
                t(2026, 12, 4, 8, 3, tzinfo=UTC),
                t(2026, 12, 17, 8, 3, tzinfo=UTC),
            ),
            {"name": "Trần Thị Hạnh", "kind": "citizen"},
            title_word="Văn bản",
        ),
    }
    out = {name: doc for name, doc in docs.items() if doc is not None}
    late = out["form-2025-finished-late"]
    out["form-2025-finished-late"] = late.model_copy(
        update={"ready_at": t(2026, 12, 9, 8, 3, tzinfo=UTC)}
    )
    return out


def main(folder: Path) -> None:
    """Write each sample's PDF and a PNG of its page."""
    renderer = LetterRenderer(FONTS)
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in samples().items():
        pdf = folder / f"{name}.pdf"
        pdf.write_bytes(renderer.pdf(doc))
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(folder / name)],
            check=True,
        )
        pdf.unlink()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

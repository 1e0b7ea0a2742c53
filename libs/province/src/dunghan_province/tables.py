"""Plain-text tables for the terminal: no colours, no dependency, aligned in monospace."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Display width: combining marks (a decomposed Vietnamese tone) take no column."""
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def render(
    headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()
) -> str:
    """A table with a header rule; columns whose index is in `right` are right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    lines = [_line(cells[0], widths, right), "  ".join("-" * w for w in widths)]
    lines += [_line(r, widths, right) for r in cells[1:]]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: object) -> str:
    return "" if value is None else unicodedata.normalize("NFC", str(value))


def _line(row: Sequence[str], widths: Sequence[int], right: Sequence[int]) -> str:
    padded = []
    for i, (text, w) in enumerate(zip(row, widths, strict=True)):
        gap = " " * (w - width(text))
        padded.append(gap + text if i in right else text + gap)
    return "  ".join(padded)


def percent(rate: float | None) -> str:
    """A rate in [0, 1] as a percentage with one decimal; `–` when undefined."""
    return "–" if rate is None else f"{rate * 100:.1f}%"


def title(text: str) -> str:
    """A section title underlined."""
    return f"\n{text}\n{'=' * width(text)}"

"""The report's charts as SVG, drawn in Python for the PDF: no plotting library, fonts of the page.

Each chart is a string of `<svg>` markup sized in points, inlined in the HTML template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

COLOURS: Final = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000")
_FONT: Final = 'font-family="Liberation Serif" font-size="9"'
Scale = Callable[[float], float]


@dataclass(frozen=True, slots=True)
class Series:
    """A named series of values (None where undefined) and its target, if any."""

    name: str
    values: Sequence[float | None]
    target: float | None = None


def bars(
    labels: Sequence[str], series: Sequence[Series], width: float = 760, percent: bool = True
) -> str:
    """Horizontal grouped bars, one group per label, top to bottom; targets as dashed lines."""
    left, top, bar, gap = 210.0, 28.0, 7.0, 6.0
    group = bar * len(series) + gap
    height = top + group * len(labels) + 24
    scale = 1.0 if percent else max([v or 0 for s in series for v in s.values] + [1e-9])
    plot = width - left - 40
    x = _x_of(left, plot, scale)
    parts = [_legend(series, left, 12)]
    parts += _grid(x, top, height - 20, scale, percent)
    for i, label in enumerate(labels):
        y0 = top + i * group
        parts.append(_text(left - 6, y0 + group / 2, label, anchor="end"))
        for k, s in enumerate(series):
            parts.append(_bar(x, y0 + k * bar, bar - 1, s.values[i], COLOURS[k], percent))
    for k, s in enumerate(series):
        if s.target is not None:
            tx = x(s.target)
            parts.append(
                f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - 20:.1f}" '
                f'stroke="{COLOURS[k]}" stroke-width="1" stroke-dasharray="4 3"/>'
            )
    return _svg(width, height, parts)


def lines(labels: Sequence[str], series: Sequence[Series], width: float = 760) -> str:
    """Rates month on month (from 50% when none is lower), one line per series, dashed targets."""
    left, top, right, bottom = 50.0, 40.0, 20.0, 30.0
    height = 260.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(labels) - 1)
    known = [v for s in series for v in s.values if v is not None]
    low = 0.5 if known and min(known) >= 0.5 else 0.0  # the range where a province's rates move

    def y(v: float) -> float:
        return top + plot_h * (1 - (max(v, low) - low) / (1 - low))

    parts = [_legend(series, left, 12)]
    steps = 5 if low else 4  # every 10% from 50%, else every 25%
    for tick in [low + (1 - low) * i / steps for i in range(steps + 1)]:
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{width - right}" y2="{y(tick):.1f}" '
            'stroke="#d9d9d9" stroke-width="0.5"/>'
        )
        parts.append(_text(left - 4, y(tick), f"{tick:.0%}", anchor="end"))
    for i, label in enumerate(labels):
        parts.append(_text(left + i * step, height - bottom + 14, label, anchor="middle"))
    for k, s in enumerate(series):
        points = [(left + i * step, y(v)) for i, v in enumerate(s.values) if v is not None]
        if s.target is not None:
            parts.append(
                f'<line x1="{left}" y1="{y(s.target):.1f}" x2="{width - right}" '
                f'y2="{y(s.target):.1f}" stroke="{COLOURS[k]}" stroke-width="0.8" '
                'stroke-dasharray="4 3" opacity="0.7"/>'
            )
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{COLOURS[k]}" stroke-width="1.8"/>'
            )
        parts += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{COLOURS[k]}"/>'
            for px, py in points
        ]
    return _svg(width, height, parts)


def _x_of(left: float, plot: float, scale: float) -> Scale:
    return lambda v: left + plot * min(max(v, 0.0), scale) / scale


def _grid(x: Scale, top: float, bottom: float, scale: float, percent: bool) -> list[str]:
    parts = []
    for i in range(5):
        v = scale * i / 4
        parts.append(
            f'<line x1="{x(v):.1f}" y1="{top - 4}" x2="{x(v):.1f}" y2="{bottom:.1f}" '
            'stroke="#d9d9d9" stroke-width="0.5"/>'
        )
        parts.append(_text(x(v), bottom + 11, f"{v:.0%}" if percent else f"{v:.2f}", "middle"))
    return parts


def _bar(x: Scale, y: float, h: float, value: float | None, colour: str, percent: bool) -> str:
    if value is None:
        return _text(x(0) + 3, y + h / 2, "–", anchor="start")
    label = f"{value:.0%}" if percent else f"{value:.2f}"
    w = x(value) - x(0)
    return (
        f'<rect x="{x(0):.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'
        + _text(x(value) + 3, y + h / 2, label, anchor="start", size=7)
    )


def _legend(series: Sequence[Series], x: float, y: float) -> str:
    parts = []
    for k, s in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="{y - 7}" width="10" height="8" fill="{COLOURS[k]}"/>')
        parts.append(_text(x + 14, y - 3, s.name, anchor="start"))
        x += 22 + 4.4 * len(s.name)
    if any(s.target is not None for s in series):
        parts.append(
            f'<line x1="{x:.1f}" y1="{y - 3}" x2="{x + 18:.1f}" y2="{y - 3}" stroke="#555" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(_text(x + 22, y - 3, "chỉ tiêu", anchor="start"))
    return "".join(parts)


def _text(x: float, y: float, text: str, anchor: str = "start", size: float = 9) -> str:
    font = _FONT.replace('font-size="9"', f'font-size="{size}"')
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" {font} text-anchor="{anchor}" '
        f'dominant-baseline="middle">{escape(text)}</text>'
    )


def _svg(width: float, height: float, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">{"".join(parts)}</svg>'
    )

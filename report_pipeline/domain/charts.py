"""Inline SVG charts, pure Python: no JavaScript, no external requests.

Every chart carries ``role="img"``, an ``aria-label`` and a ``<title>``; every piece of text
(labels come from PR data: module names, tags) is escaped. Colours come from CSS classes so
the page's light/dark palette applies; ``fill`` attributes are the fallback for viewers
that open the SVG without the page's stylesheet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from report_pipeline.domain.markdown_safe import clean

# distinguishable in light and dark mode, and for the common colour-vision deficiencies
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")


def _fmt(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _label(text: object, limit: int) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    *,
    width: int = 460,
    label_width: int = 140,
    value_fmt: Callable[[float], str] = _fmt,
    css_class: str = "",
) -> Markup:
    """A horizontal bar chart of ``(label, value)`` pairs; empty markup when there is nothing to draw."""
    items = [(label, value) for label, value in items if value is not None]
    if not items:
        return Markup("")
    bar_h, gap, top = 20, 8, 8
    height = top + len(items) * (bar_h + gap)
    vmax = max(v for _, v in items) or 1
    plot = width - label_width - 60
    parts = [
        f'<svg class="chart hbar {escape(css_class)}" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(2.0, plot * value / vmax) if value else 0
        full = clean(label)
        parts.append(
            f'<g><title>{escape(full)}: {escape(value_fmt(value))}</title>'
            f'<text class="lbl" x="{label_width - 6}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" '
            f'fill="currentColor">{escape(_label(full, 20))}</text>'
            f'<rect class="bar" x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3" '
            f'fill="{PALETTE[0]}"/>'
            f'<text class="val" x="{label_width + w + 6:.1f}" y="{y + bar_h * 0.72:.1f}" '
            f'fill="currentColor">{escape(value_fmt(value))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def trend_chart(
    weeks: Sequence[str],
    bars: tuple[str, Sequence[float]],
    lines: Sequence[tuple[str, Sequence[float]]],
    title: str,
    *,
    width: int = 720,
    height: int = 260,
) -> Markup:
    """Weekly bars (e.g. PR count) with lines (e.g. risk counts) on one axis, with a legend."""
    if not weeks:
        return Markup("")
    left, right, top, bottom = 40, 12, 12, 62
    legend_rows = math.ceil((len(lines) + 1) / 3)
    height += legend_rows * 18
    plot_h = height - top - bottom - legend_rows * 18
    bar_name, bar_values = bars
    vmax = _nice_max(max([*(v or 0 for v in bar_values), *(v or 0 for _, vs in lines for v in vs), 1]))
    frame = _Frame(left, top, plot_h, (width - left - right) / len(weeks), vmax)
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    parts += _trend_grid(frame, width - right)
    parts += _trend_bars(frame, weeks, bar_name, bar_values)
    parts += _trend_lines(frame, weeks, lines)
    parts += _trend_legend(frame, width, bar_name, [name for name, _ in lines])
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class _Frame:
    """Where the trend chart's plot sits: left edge, top, plot height, width per week, axis maximum."""

    left: float
    top: float
    plot_h: float
    slot: float
    vmax: float

    def y(self, v: float | None) -> float:
        return self.top + self.plot_h - self.plot_h * (v or 0) / self.vmax


def _trend_grid(f: _Frame, x_end: float) -> list[str]:
    parts = []
    for k in range(5):  # four gridline steps keep labels round (nice_max is 1/2/2.5/5 x 10^n)
        v = f.vmax * k / 4
        parts.append(
            f'<line class="grid" x1="{f.left}" x2="{x_end}" y1="{f.y(v):.1f}" y2="{f.y(v):.1f}" '
            f'stroke="#8884" stroke-width="1"/>'
            f'<text class="axis" x="{f.left - 4}" y="{f.y(v) + 4:.1f}" text-anchor="end" '
            f'fill="currentColor">{escape(_fmt(v))}</text>'
        )
    return parts


def _trend_bars(f: _Frame, weeks: Sequence[str], bar_name: str, bar_values: Sequence[float]) -> list[str]:
    parts = []
    for i, (week, value) in enumerate(zip(weeks, bar_values)):
        x = f.left + i * f.slot
        bw = f.slot * 0.6
        parts.append(
            f'<g><title>{escape(clean(week))} · {escape(clean(bar_name))}: {escape(_fmt(value or 0))}</title>'
            f'<rect class="bar" x="{x + (f.slot - bw) / 2:.1f}" y="{f.y(value):.1f}" width="{bw:.1f}" '
            f'height="{f.top + f.plot_h - f.y(value):.1f}" fill="{PALETTE[0]}" opacity="0.85"/></g>'
        )
        # month-day is enough under the axis; the full week is in the tooltip
        parts.append(
            f'<text class="axis" x="{x + f.slot / 2:.1f}" y="{f.top + f.plot_h + 14}" text-anchor="middle" '
            f'fill="currentColor">{escape(clean(week)[5:] or clean(week))}</text>'
        )
    return parts


def _trend_lines(f: _Frame, weeks: Sequence[str], lines: Sequence[tuple[str, Sequence[float]]]) -> list[str]:
    parts = []
    for j, (name, values) in enumerate(lines):
        colour = PALETTE[(j + 1) % len(PALETTE)]
        pts = " ".join(f"{f.left + i * f.slot + f.slot / 2:.1f},{f.y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<g><title>{escape(clean(name))}</title><polyline points="{pts}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
            + "".join(
                f'<circle cx="{f.left + i * f.slot + f.slot / 2:.1f}" cy="{f.y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(clean(weeks[i]))} · {escape(clean(name))}: {escape(_fmt(v or 0))}</title></circle>"
                for i, v in enumerate(values)
            )
            + "</g>"
        )
    return parts


def _trend_legend(f: _Frame, width: int, bar_name: str, line_names: Sequence[str]) -> list[str]:
    legend = [(bar_name, PALETTE[0], True)] + [(name, PALETTE[(j + 1) % len(PALETTE)], False)
                                               for j, name in enumerate(line_names)]
    ly0 = f.top + f.plot_h + 34
    col_w = (width - f.left) / 3
    parts = []
    for k, (name, colour, is_bar) in enumerate(legend):
        lx, ly = f.left + (k % 3) * col_w, ly0 + (k // 3) * 18
        mark = (f'<rect x="{lx:.1f}" y="{ly - 9}" width="12" height="10" fill="{colour}"/>' if is_bar
                else f'<line x1="{lx:.1f}" x2="{lx + 12:.1f}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'{mark}<text class="legend" x="{lx + 16:.1f}" y="{ly}" fill="currentColor">'
                     f"{escape(_label(name, 28))}</text>")
    return parts

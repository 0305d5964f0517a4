"""Charts drawn on the server as inline SVG: nothing is fetched when the page is viewed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2")


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


# Sizes are in the SVG's own units, and the SVG is scaled to its panel: on a 390 px phone a panel is about
# 340 px wide, so a 400-unit-wide chart with 16-unit text shows 13-14 px text (at 480 / 12 it was 9 px).
FONT = 16


def _open(chart_id: str, width: int, height: int) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg">'
    )


def bar_chart(
    items: Sequence[tuple[str, float | None]], *, chart_id: str, unit: str = "", color: str = PALETTE[0]
) -> str:
    """Horizontal bars, one row per (label, value); a value of None (no figure, e.g. a rate of nothing) is a
    row with its label and "—" and no bar; an empty list draws an empty frame with a note."""
    row_h, label_w, width = 34, 136, 400
    height = max(1, len(items)) * row_h + 10
    top = _nice_max(max((v for _, v in items if v is not None), default=0))
    parts = [_open(chart_id, width, height)]
    if not items:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" class="muted">暂无数据</text>')
    bar_space = width - label_w - 64
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 22}" text-anchor="end">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + 22}" class="muted">—</text>')
            continue
        w = 0 if top == 0 else bar_space * value / top
        shown = f"{value:g}{unit}"
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{color}" '
            f'data-value="{value:g}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 22}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, chart_id: str, every: int = 5
) -> str:
    """Lines over days (labels), with a legend; a label is printed under every `every`-th point."""
    width, height, left, bottom, top_pad, right = 420, 250, 40, 34, 34, 24
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    top = _nice_max(max((max(values, default=0) for _, values in series), default=0))
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return left + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    parts = [_open(chart_id, width, height)]
    for frac in (0, 0.5, 1):
        gy = y(top * frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" class="muted">{top * frac:g}</text>'
        )
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 22}" text-anchor="middle" class="muted">'
                f"{escape(label)}</text>"
            )
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline class="series" data-name="{escape(name)}" points="{points}" fill="none" '
            f'stroke="{color}" stroke-width="2"/>'
        )
        parts.append(
            f'<rect x="{left + k * 110}" y="8" width="14" height="14" fill="{color}"/>'
            f'<text x="{left + k * 110 + 20}" y="21">{escape(name)} {sum(values)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

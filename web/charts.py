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


def bar_chart(items: Sequence[tuple[str, float]], *, chart_id: str, unit: str = "", color: str = PALETTE[0]) -> str:
    """Horizontal bars, one row per (label, value); an empty list draws an empty frame with a note."""
    row_h, label_w, width = 28, 110, 480
    height = max(1, len(items)) * row_h + 10
    top = _nice_max(max((v for _, v in items), default=0))
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    if not items:
        parts.append(f'<text x="{width / 2}" y="{height / 2 + 5}" text-anchor="middle" class="muted">暂无数据</text>')
    bar_space = width - label_w - 60
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        w = 0 if top == 0 else bar_space * value / top
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}" '
            f'data-value="{value:g}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, chart_id: str, every: int = 5
) -> str:
    """Lines over days (labels), with a legend; a label is printed under every `every`-th point."""
    width, height, left, bottom, top_pad, right = 560, 240, 40, 40, 30, 24
    plot_w, plot_h = width - left - right, height - bottom - top_pad
    top = _nice_max(max((max(values, default=0) for _, values in series), default=0))
    n = max(len(labels), 2)

    def x(i: int) -> float:
        return left + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for frac in (0, 0.5, 1):
        gy = y(top * frac)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" class="muted">{top * frac:g}</text>'
        )
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" class="muted">'
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
            f'<rect x="{left + k * 90}" y="6" width="12" height="12" fill="{color}"/>'
            f'<text x="{left + k * 90 + 16}" y="17">{escape(name)} {sum(values)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

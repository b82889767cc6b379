"""Small server-rendered SVG charts: no JavaScript, no CDN, readable without colour
(every bar and point has a native tooltip, every chart a text label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 190
# TOP leaves a strip above the plot for the legend.
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 26, 26
GREEN, RED, GREY, BLUE, PURPLE, AMBER = (
    "#2e7d32",
    "#c62828",
    "#9e9e9e",
    "#1565c0",
    "#6a1b9a",
    "#ef6c00",
)


@dataclass
class Series:
    name: str
    colour: str
    values: Sequence[float | None]


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 * 10^n at or above value, so gridlines read as round numbers."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _frame(title: str, labels: Sequence[str], y_max: float, fmt) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = y_max * (4 - i) / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e0e0e0" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#555">{escape(fmt(value))}</text>'
        )
    step = max(1, len(labels) // 6)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i in range(0, len(labels), step):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" '
            f'fill="#555">{escape(labels[i])}</text>'
        )
    return parts


def bar_chart(
    title: str, labels: Sequence[str], stacks: Sequence[Series], *, fmt=lambda v: f"{v:g}"
) -> SafeString:
    """Stacked bars, one per label, series drawn bottom-up in the order given."""
    totals = [sum(s.values[i] or 0 for s in stacks) for i in range(len(labels))]
    y_max = _nice_max(max(totals, default=0))
    parts = _frame(title, labels, y_max, fmt)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i, label in enumerate(labels):
        base = 0.0
        for series in stacks:
            value = series.values[i] or 0
            if not value:
                continue
            h = plot_h * value / y_max
            y = TOP + plot_h * (1 - (base + value) / y_max)
            parts.append(
                f'<rect x="{LEFT + slot * i + slot * 0.1:.1f}" y="{y:.1f}" '
                f'width="{slot * 0.8:.1f}" height="{h:.1f}" fill="{series.colour}">'
                f"<title>{escape(label)}: {escape(fmt(value))} {escape(series.name)}</title></rect>"
            )
            base += value
    parts.append(_legend(stacks))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it went through escape()


def line_chart(
    title: str,
    labels: Sequence[str],
    lines: Sequence[Series],
    *,
    fmt=lambda v: f"{v:g}",
    y_max: float | None = None,
    threshold: float | None = None,
) -> SafeString:
    """Lines with a dot per known value; gaps (None) break the line. A dashed threshold
    line shows where an alert rule fires, when it is within the scale."""
    known = [v for s in lines for v in s.values if v is not None]
    # Scaled to the data: a 10 s threshold would squash 200 ms latencies flat.
    top = y_max or _nice_max(max(known, default=0))
    parts = _frame(title, labels, top, fmt)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    if threshold is not None and threshold <= top:
        parts.append(
            f'<line x1="{LEFT}" y1="{y_of(threshold):.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y_of(threshold):.1f}" stroke="{RED}" stroke-dasharray="4 3" stroke-width="1">'
            f"<title>alert threshold {escape(fmt(threshold))}</title></line>"
        )
    for series in lines:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(series.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = LEFT + slot * (i + 0.5)
            segment.append(f"{x:.1f},{y_of(value):.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="2.5" fill="{series.colour}">'
                f"<title>{escape(labels[i])}: {escape(series.name)} {escape(fmt(value))}</title>"
                "</circle>"
            )
        if segment:
            segments.append(segment)
        for points in segments:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" '
                f'stroke="{series.colour}" stroke-width="2"/>'
            )
    parts.append(_legend(lines))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it went through escape()


def _legend(series: Sequence[Series]) -> str:
    parts, x = [], LEFT + 4
    for s in series:
        parts.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{s.colour}"/>'
            f'<text x="{x + 14}" y="13" font-size="11" fill="#333">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    return "".join(parts)

"""Number formats for the monitoring dashboard."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}" if value >= 0.01 or not value else "<1%"


@register.filter
def duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


@register.filter
def bar_width(share: float) -> str:
    """A share (0-1) as a CSS percentage, never wider than its cell."""
    return f"{max(0.0, min(1.0, share or 0)) * 100:.1f}"


@register.filter
def money(value: Decimal | None) -> str:
    return f"${value or 0:,.2f}"

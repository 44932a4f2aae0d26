"""How the pages print numbers and names: "—" when a value is missing, never 0.

The functions are template filters (this library is a builtin of the template
engine, see ``TEMPLATES`` in the settings) and plain functions for the places
that format outside a template (the PDF report's tables).
"""

from __future__ import annotations

import math

from django import template

register = template.Library()

DASH = "—"


@register.filter
def num(value: float | None, digits: int = 0) -> str:
    """``1234.5`` → ``"1,234.5"``; ``None``/NaN → ``"—"`` (missing is never shown as 0)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{value:,.{digits}f}"


def with_unit(value: float | None, digits: int, unit: str) -> str:
    """``"25 %"``, or ``"—"`` without a unit when there is no value."""
    text = num(value, digits)
    return text if text == DASH else f"{text} {unit}"


@register.filter
def gib(mib: float | None) -> float | None:
    # The exporters' "MB" memory fields are MiB (DCGM FB_*; NPU bytes / 2**20): GiB reads better.
    return None if mib is None else mib / 1024


@register.filter
def memory(used_mib: float | None, total_mib: float | None) -> str:
    """``"used / total"`` in GiB with one decimal (or ``—``)."""
    if used_mib is None and total_mib is None:
        return DASH
    return f"{num(gib(used_mib), 1)} / {num(gib(total_mib), 1)}"


VENDOR_LABELS = {"nvidia": "NVIDIA", "furiosa": "FuriosaAI", "rebellions": "Rebellions"}


@register.filter
def vendor_label(vendor: str | None) -> str:
    """The vendor's own spelling (``nvidia`` → ``NVIDIA``)."""
    if not vendor:
        return DASH
    return VENDOR_LABELS.get(vendor, vendor.capitalize())


@register.filter
def model_label(model: str | None) -> str:
    """Furiosa reports its arch in lower case (``rngd``); product names read upper case."""
    if not model:
        return DASH
    return model.upper() if model.islower() else model


@register.filter
def percent_width(value: float | None) -> float | None:
    """Width of a utilisation bar (0-100) or None when there is no reading."""
    if value is None or not math.isfinite(value):
        return None
    return max(0.0, min(100.0, value))

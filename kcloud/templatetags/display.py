"""How the pages print numbers and names: "—" when a value is missing, never 0.

Views hand templates raw values (floats, None, names); the templates format them
with these filters (``{{ watts|num:1|unit:"W" }}``), so the rule for a missing
value lives in one place. This library is a builtin of the template engine (see
``TEMPLATES`` in the settings): no ``{% load %}`` needed. ``num`` and ``DASH`` are
plain functions too, for the one place that formats outside a template (the PDF
report's view-model).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django import template

register = template.Library()

DASH = "—"


@register.filter
def num(value: float | None, digits: int = 0) -> str:
    """``1234.5`` → ``"1,234.5"``; ``None``/NaN → ``"—"`` (missing is never shown as 0).

    ``""`` is missing too: it is what the template engine gives for a variable it
    cannot resolve, e.g. ``{{ power.avg_watts|num:1 }}`` when there is no ``power``.
    """
    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    text = f"{value:,.{digits}f}"
    # A tiny negative (float noise of a difference) rounds to "-0.000": a zero has no sign.
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


@register.filter
def unit(text: str, name: str | None) -> str:
    """The unit after a formatted number: ``{{ watts|num:1|unit:"W" }}`` → ``"12.5 W"``.

    "—" stays bare (a missing value has no unit), and so does a number whose unit is
    unknown (``{{ cost|num:2|unit:currency }}`` without a currency).
    """
    return text if text == DASH or not name else f"{text} {name}"


# Currencies without minor units in practice: prices and costs in won are whole numbers.
WHOLE_CURRENCIES = frozenset({"KRW", "JPY"})


def money_digits(currency: str | None, digits: int = 2) -> int:
    """Decimal places of an amount: none for a whole-unit currency (KRW), else ``digits``."""
    return 0 if (currency or "").upper() in WHOLE_CURRENCIES else digits


@register.filter
def money(amount: float | None, currency: str | None) -> str:
    """An amount with its currency: ``1234.5|money:"KRW"`` → ``"1,235 KRW"``, ``3.4|money:"USD"`` → ``"3.40 USD"``."""
    return unit(num(amount, money_digits(currency)), currency)


@register.filter
def amounts(items: Iterable[tuple[float | None, str | None, int]]) -> str:
    """Money in one or more currencies, ``(amount, currency, digits)`` each, joined with "+".

    ``[(1234.5, "KRW", 2), (3.4, "USD", 2)]`` → ``"1,234 KRW + 3.40 USD"`` (won never take decimals): different
    currencies never add up, so each is printed on its own; "—" when there is none.
    """
    return (
        " + ".join(unit(num(amount, money_digits(currency, digits)), currency) for amount, currency, digits in items)
        or DASH
    )


@register.filter
def gib(mib: float | None) -> float | None:
    # The exporters' "MB" memory fields are MiB (DCGM FB_*; NPU bytes / 2**20): GiB reads better.
    return None if mib is None else mib / 1024


@register.filter
def memory(used_mib: float | None, total_mib: float | None) -> str:
    """``{{ used|memory:total }}`` → ``"used / total"`` in GiB with one decimal (or ``—``)."""
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
    """Width of a bar (0-100) for a percentage, or None when there is no reading (no bar, not an empty one)."""
    if value is None or value == "" or not math.isfinite(value):
        return None
    return max(0.0, min(100.0, value))

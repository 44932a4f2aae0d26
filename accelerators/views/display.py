"""Formatting for the accelerators pages: the templates only print strings ("—" when missing, never 0)."""

from __future__ import annotations

import math

from accelerators.services import inventory

DASH = "—"


def num(value: float | None, digits: int = 0) -> str:
    """``1234.5`` → ``"1,234.5"``; ``None``/NaN → ``"—"`` (missing is never shown as 0)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return f"{value:,.{digits}f}"


def with_unit(value: float | None, digits: int, unit: str) -> str:
    """``"25 %"``, or ``"—"`` without a unit when there is no value."""
    text = num(value, digits)
    return text if text == DASH else f"{text} {unit}"


def gib(mib: float | None) -> float | None:
    # The exporters' "MB" memory fields are MiB (DCGM FB_*; NPU bytes / 2**20): GiB reads better.
    return None if mib is None else mib / 1024


def memory(used_mib: float | None, total_mib: float | None) -> str:
    """``"used / total"`` in GiB with one decimal (or ``—``)."""
    if used_mib is None and total_mib is None:
        return DASH
    return f"{num(gib(used_mib), 1)} / {num(gib(total_mib), 1)}"


VENDOR_LABELS = {"nvidia": "NVIDIA", "furiosa": "FuriosaAI", "rebellions": "Rebellions"}


def vendor_label(vendor: str | None) -> str:
    """The vendor's own spelling (``nvidia`` → ``NVIDIA``)."""
    if not vendor:
        return DASH
    return VENDOR_LABELS.get(vendor, vendor.capitalize())


def model_label(model: str | None) -> str:
    """Furiosa reports its arch in lower case (``rngd``); product names read upper case."""
    if not model:
        return DASH
    return model.upper() if model.islower() else model


def percent_width(value: float | None) -> float | None:
    """Width of a utilisation bar (0-100) or None when there is no reading."""
    if value is None or not math.isfinite(value):
        return None
    return max(0.0, min(100.0, value))


def down_summary(fleet: inventory.FleetAccelerators) -> dict:
    """The shape ``clusters/_down_notice.html`` expects, from the fan-out outcomes."""
    down = [{"name": r.cluster.name, "last_error": r.error} for r in fleet.results if not r.ok]
    return {"total": len(fleet.results), "down": down}

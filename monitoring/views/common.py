"""Formatting shared by the monitoring pages: PUE badges, money, share bars, the dead-cluster notice."""

from __future__ import annotations

from collections.abc import Sequence

from kcloud.templatetags.display import DASH, num

PUE_SOURCE_LABELS = {"measured": "measured", "configured": "configured", "unavailable": "unavailable"}
SPECIAL_LABELS = {"__idle__": "Idle", "__unattributed__": "Unattributed"}
RESOURCE_LABELS = {"gpu": "GPU", "npu": "NPU", "cpu": "CPU", "dram": "DRAM", "other": "Other (wall - parts)"}


def pue_cell(value: float | None, source: str | None, error: str | None = None) -> dict:
    """A PUE with its source badge; ``error`` says why a facility query gave nothing."""
    return {"value": num(value, 2), "source": source or "unavailable", "error": error or ""}


def money(value: float | None, currency: str | None, digits: int = 2) -> str:
    """``"12.34 KRW"``, or "—" when the amount (or its currency) is unknown."""
    if value is None:
        return DASH
    return f"{num(value, digits)} {currency}" if currency else num(value, digits)


def known_sum(values: Sequence[float | None]) -> float | None:
    """Sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def by_currency(rows: Sequence[dict], name: str) -> list[tuple[str, float]]:
    """Amounts of ``name`` summed per currency (different currencies never add up)."""
    out: dict[str, float] = {}
    for row in rows:
        if row.get(name) is not None:
            key = row.get("currency") or ""
            out[key] = out.get(key, 0.0) + row[name]
    return sorted(out.items())


def share_width(percent: float | None) -> float | None:
    """Width (0-100) of a share bar; None when unknown."""
    if percent is None:
        return None
    return max(0.0, min(100.0, percent))

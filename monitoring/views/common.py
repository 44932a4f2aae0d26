"""Shared by the monitoring pages: PUE badges, per-currency sums, resource labels."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy, gettext_noop

# English names (stable: a breakdown row's ``data-key``) and the labels pages print (translated).
RESOURCE_NAMES = {
    "gpu": "GPU",
    "npu": "NPU",
    "cpu": "CPU",
    "dram": "DRAM",
    "other": gettext_noop("Other (wall - parts)"),
}
RESOURCE_LABELS = {key: gettext_lazy(name) for key, name in RESOURCE_NAMES.items()}


def pue_cell(value: float | None, source: str | None, error: str | None = None) -> dict:
    """A PUE with its source badge (monitoring/_pue.html); ``error`` says why a facility query gave nothing."""
    return {"value": value, "source": source or "unavailable", "error": error or ""}


def by_currency(rows: Sequence[dict], name: str) -> list[tuple[str, float]]:
    """Amounts of ``name`` summed per currency (different currencies never add up)."""
    out: dict[str, float] = {}
    for row in rows:
        if row.get(name) is not None:
            key = row.get("currency") or ""
            out[key] = out.get(key, 0.0) + row[name]
    return sorted(out.items())

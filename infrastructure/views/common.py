"""Helpers shared by the infrastructure and hardware pages: filters, outcomes, power bars, error pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from infrastructure.services.snapshot import NodePower
from kcloud.api.errors import ApiError, BadParameter

PAGE_SIZE = 50

# (css key, legend label) of the power composition bar, bottom to top of the stack.
POWER_PARTS = (
    ("cpu", _("CPU (active)")),
    ("dram", _("DRAM (active)")),
    ("gpu", "GPU"),
    ("npu", "NPU"),
    ("other", _("Other (wall - parts)")),
    ("idle", _("Idle (CPU + DRAM)")),
)

# The words shown for status values (the value itself stays in CSS classes, data-* and the filter's GET).
NODE_STATUS_LABELS = {"ready": _("ready"), "not_ready": _("notready"), "unknown": _("unknown")}
PHASE_LABELS = {
    "Pending": _("Pending"),
    "Running": _("Running"),
    "Succeeded": _("Succeeded"),
    "Failed": _("Failed"),
    "Unknown": _("Unknown"),
}


def label_of(labels: dict, value: str | None):
    """The word shown for ``value`` (a value without one is shown as it is)."""
    return labels.get(value, value) if value is not None else value


def choices(values: Sequence[str], labels: dict) -> list[tuple[str, Any]]:
    """(value, shown word) of a filter's options."""
    return [(v, label_of(labels, v)) for v in values]


def _minus(total: float | None, part: float | None) -> float | None:
    if total is None:
        return None
    return max(total - (part or 0.0), 0.0)


def power_parts(power: NodePower) -> dict[str, float | None]:
    """The node's power split for the composition bar (W); idle is kept apart from the active CPU/DRAM."""
    idle_known = power.cpu_idle_watts is not None or power.dram_idle_watts is not None
    return {
        "cpu": _minus(power.cpu_power_watts, power.cpu_idle_watts),
        "dram": _minus(power.dram_power_watts, power.dram_idle_watts),
        "gpu": power.gpu_power_watts,
        "npu": power.npu_power_watts,
        # A wall reading below the attributed parts is a metering difference, not negative power.
        "other": None if power.other_watts is None else max(power.other_watts, 0.0),
        "idle": (power.cpu_idle_watts or 0.0) + (power.dram_idle_watts or 0.0) if idle_known else None,
    }


def power_bar(power: NodePower, scale_watts: float | None) -> dict:
    """Segments of a node's composition bar, widths in % of ``scale_watts`` (the largest node shown)."""
    parts = power_parts(power)
    scale = scale_watts if scale_watts else sum(v for v in parts.values() if v)
    segments = []
    for key, label in POWER_PARTS:
        watts = parts[key]
        if watts and scale:
            segments.append({"key": key, "label": label, "watts": watts, "width": 100.0 * watts / scale})
    return {"segments": segments}


def largest_power(nodes: Sequence[Any]) -> float | None:
    """The largest bar total among ``nodes`` (so bars of one page share a scale)."""
    totals = [sum(v for v in power_parts(n.power).values() if v) for n in nodes]
    return max(totals, default=None) or None


def unavailable(
    request: HttpRequest, exc: ApiError, *, kind: str, tab: str, name: str, back_url: str, back_label: str
) -> HttpResponse:
    """The page saying why an item cannot be shown: 404 unknown or malformed, 400 ambiguous, 503 cluster down.

    ``kind`` is the word shown ("Node", translated), ``tab`` the sub-navigation tab to mark ("nodes").
    """
    status = 404 if isinstance(exc, BadParameter) else exc.status_code
    details = getattr(exc, "details", None) or {}
    clusters = details.get("clusters") if isinstance(details, dict) and status == 400 else None
    context = {
        "kind": kind,
        "tab": tab,
        "name": name,
        "error": str(exc.detail),
        "status_code": status,
        "choices": clusters if isinstance(clusters, list) and all(isinstance(c, str) for c in clusters) else [],
        "back_url": back_url,
        "back_label": back_label,
    }
    return render(request, "infrastructure/unavailable.html", context, status=status)


__all__ = [
    "NODE_STATUS_LABELS",
    "PAGE_SIZE",
    "PHASE_LABELS",
    "POWER_PARTS",
    "choices",
    "label_of",
    "power_bar",
    "unavailable",
]

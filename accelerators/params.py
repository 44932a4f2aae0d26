"""What the accelerator lists may be filtered and ordered by: shared by the JSON API and the pages."""

from __future__ import annotations

from kcloud.api.errors import BadParameter

MAX_MODEL_LENGTH = 200

GPU_ORDERING = (
    "uuid",
    "cluster",
    "node",
    "index",
    "model_name",
    "power_watts",
    "temperature_celsius",
    "utilization_percent",
    "memory_used_mb",
    "memory_total_mb",
    "total_energy_joules",
    "namespace",
    "pod",
    "status",
    "last_seen",
)
NPU_ORDERING = (
    "id",
    "cluster",
    "node",
    "index",
    "vendor",
    "model",
    "power_watts",
    "temperature_celsius",
    "utilization_percent",
    "memory_used_mb",
    "namespace",
    "pod",
    "status",
    "last_seen",
)
ACCELERATOR_ORDERING = (
    "id",
    "kind",
    "vendor",
    "model",
    "cluster",
    "node",
    "power_watts",
    "temperature_celsius",
    "utilization_percent",
    "memory_used_mb",
    "memory_total_mb",
    "namespace",
    "pod",
    "status",
    "last_seen",
)


def model_filters(values: list[str]) -> set[str]:
    out = set()
    for value in values:
        if not value or len(value) > MAX_MODEL_LENGTH or not value.isprintable():
            raise BadParameter("model", f"{value[:70]!r} is not a model name.")
        out.add(value.lower())
    return out

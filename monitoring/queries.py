"""PromQL of the power analytics, as functions of a cluster's :class:`Scope`.

The energy of every node, pod and device over a window and the power series are
the infrastructure domain's (:func:`infrastructure.queries.energy`,
:func:`infrastructure.queries.power_series`); this adds what only the analytics
need: idle accelerator energy and utilisation (:func:`efficiency`) and the
cluster's facility power.

The facility power query is the cluster's own trusted PromQL (written by an
admin in the registry, never by an API caller); it is evaluated as given, and
wrapped in ``avg_over_time((expr)[w:s])`` for windows.
"""

from __future__ import annotations

from clusters.prometheus.promql import TAG, Scope, names_regex, tag, union
from infrastructure.queries import GPU_POWER, energy, npu_power, subquery_step

__all__ = ["TAG", "efficiency", "facility_power", "facility_power_avg", "subquery_step"]


def _seconds(value: int) -> str:
    return f"{int(value)}s"


def facility_power(expr: str) -> str:
    """The cluster's facility power query (watts now), as the admin wrote it."""
    return f"sum(({expr.strip()}))"


def facility_power_avg(expr: str, window: str, step_seconds: int) -> str:
    """Mean facility power over ``window``: ``avg_over_time((expr)[w:step])``."""
    return f"sum(avg_over_time(({expr.strip()})[{window}:{_seconds(step_seconds)}]))"


# Utilisation gauges of the NPU exporters (Furiosa per core, Rebellions per card, both namings).
NPU_UTILIZATION = ("furiosa_npu_core_utilization", "rbln_npu_utilization", "RBLN_DEVICE_STATUS:UTILIZATION")
GPU_UTILIZATION = "DCGM_FI_DEV_GPU_UTIL"
IDLE_UTILIZATION_PERCENT = "1"  # a device below 1 % is idle (the accelerators API's rule)


def efficiency(scope: Scope, window_seconds: int, step_seconds: int) -> str:
    """:func:`~infrastructure.queries.energy` plus, per device, its energy while idle and its mean utilisation.

    Extra tags: ``gpu_idle_sum``/``npu_idle_sum`` (W summed over the grid while the
    device's utilisation is below 1 %; x step = joules), ``gpu_util_avg``/``npu_util_avg``
    (mean utilisation over the grid). GPUs without a utilisation reading (MIG) are absent:
    allocation decides their state, as in the accelerators API. One request.
    """
    from clusters.prometheus.promql import promql_duration

    grid = f"{promql_duration(window_seconds - step_seconds)}:{_seconds(step_seconds)}"
    gpu_w = f"max by (UUID) ({scope.sel(GPU_POWER)})"
    gpu_u = f"max by (UUID) ({scope.sel(GPU_UTILIZATION)})"
    npu_w = f"max by (uuid) ({npu_power(scope)})"
    npu_u = f"avg by (uuid) ({scope.sel(None, names_regex(NPU_UTILIZATION))})"
    below = IDLE_UTILIZATION_PERCENT
    return union(
        energy(scope, window_seconds, step_seconds),
        tag(f"sum_over_time(({gpu_w} * on (UUID) ({gpu_u} < bool {below}))[{grid}])", "gpu_idle_sum"),
        tag(f"avg_over_time(({gpu_u})[{grid}])", "gpu_util_avg"),
        tag(f"sum_over_time(({npu_w} * on (uuid) ({npu_u} < bool {below}))[{grid}])", "npu_idle_sum"),
        tag(f"avg_over_time(({npu_u})[{grid}])", "npu_util_avg"),
    )

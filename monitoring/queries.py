"""PromQL of the power analytics, as functions of a cluster's :class:`Scope`.

One request per cluster brings every energy figure of a window
(:func:`energy`): node and pod CPU/DRAM energy from Kepler counters (both
generations, through ``increase``), GPU energy per physical GPU from DCGM's
millijoule counter (MIG rows de-duplicated by ``UUID``), NPU energy and DCMI
wall energy from gauges integrated with a subquery
(``sum_over_time(x[w-s:s]) x s``, see :func:`energy`). Every
group-by (cluster, node, namespace, pod) is computed from this one answer.

The facility power query is the cluster's own trusted PromQL (written by an
admin in the registry, never by an API caller); it is evaluated as given, and
wrapped in ``avg_over_time((expr)[w:s])`` for windows.
"""

from __future__ import annotations

from clusters.prometheus.promql import Scope, names_regex, ne, regex
from infrastructure.queries import DCGM_ENERGY, NPU_POWER, TAG, ZONES, tag, union

# Gauges are integrated on this grid for windows up to a day (the history's scrape interval)...
SUBQUERY_STEP_SECONDS = 30
# ...and on a coarser one beyond, so a 7-day window evaluates at most this many points per series.
SUBQUERY_MAX_POINTS = 2880
_NICE_STEPS = (30, 60, 120, 300, 600, 900, 1800, 3600)

__all__ = ["TAG", "efficiency", "energy", "facility_power", "facility_power_avg", "subquery_step"]


def subquery_step(window_seconds: int) -> int:
    """The subquery resolution for a window: 30 s up to 24 h, coarser beyond (see above)."""
    raw = max(SUBQUERY_STEP_SECONDS, window_seconds / SUBQUERY_MAX_POINTS)
    for nice in _NICE_STEPS:
        if nice >= raw:
            return nice
    return _NICE_STEPS[-1]


def _seconds(value: int) -> str:
    return f"{int(value)}s"


def energy(scope: Scope, window_seconds: int, step_seconds: int) -> str:
    """Energy of every node, pod and accelerator of a cluster over the window (one request).

    Tags (``kcloud_part``): ``k010_node``/``k010_pod`` (J per zone), ``k07_node_<zone>``,
    ``k07_pod_<zone>`` (J), ``gpu`` (mJ per UUID, with the DCGM host label),
    ``npu_sum`` (W summed over the grid, per card, with ``hostname``), ``dcmi_sum`` (the
    same for wall power per node); x step = joules.

    Gauges are integrated as ``sum_over_time(x[w-s:s]) x s``: the right-hand
    rectangle rule on the step grid (the subquery includes both ends, so its range
    is one step shorter than the window). Unlike ``avg_over_time(...) x w`` it counts
    only where samples exist, so a node that stopped within the window is not
    extrapolated over the gap.
    """
    from kcloud.api.params import promql_duration

    window = promql_duration(window_seconds)
    grid = f"{promql_duration(window_seconds - step_seconds)}:{_seconds(step_seconds)}"
    k010_node = f"sum by (node_name, zone) (increase({scope.range('kepler_node_cpu_joules_total', window, ZONES)}))"
    k010_pod = (
        "sum by (node_name, pod_namespace, pod_name, zone) "
        f"(increase({scope.range('kepler_pod_cpu_joules_total', window, ZONES)}))"
    )
    parts = [tag(k010_node, "k010_node"), tag(k010_pod, "k010_pod")]
    not_system = ne("container_name", "system_processes")
    for zone in ("package", "dram"):
        node = scope.range(f"kepler_node_{zone}_joules_total", window)
        pod = scope.range(f"kepler_container_{zone}_joules_total", window, not_system)
        parts.append(tag(f"sum by (exported_instance, instance) (increase({node}))", f"k07_node_{zone}"))
        parts.append(
            tag(
                f"sum by (exported_instance, instance, container_namespace, pod_name) (increase({pod}))",
                f"k07_pod_{zone}",
            )
        )
    # MIG: the device counter repeats once per GPU instance; max by UUID keeps one.
    parts.append(tag(f"max by (UUID, Hostname, hostname) (increase({scope.range(DCGM_ENERGY, window)}))", "gpu"))
    # Partitioned cards repeat the card's series per partition; max by uuid keeps one.
    npu = scope.sel(None, names_regex(NPU_POWER), regex("label", "rms|"))
    parts.append(tag(f"sum_over_time((max by (uuid, hostname) ({npu}))[{grid}])", "npu_sum"))
    dcmi = scope.sel("ipmi_dcmi_power_consumption_watts")
    parts.append(tag(f"sum_over_time((max by (node, instance) ({dcmi}))[{grid}])", "dcmi_sum"))
    return union(*parts)


def facility_power(expr: str) -> str:
    """The cluster's facility power query (watts now), as the admin wrote it."""
    return f"sum(({expr.strip()}))"


def facility_power_avg(expr: str, window: str, step_seconds: int) -> str:
    """Mean facility power over ``window``: ``avg_over_time((expr)[w:step])``."""
    return f"sum(avg_over_time(({expr.strip()})[{window}:{_seconds(step_seconds)}]))"


# Utilisation gauges of the NPU exporters (Furiosa per core, Rebellions per card, both namings).
NPU_UTILIZATION = ("furiosa_npu_core_utilization", "rbln_npu_utilization", "RBLN_DEVICE_STATUS:UTILIZATION")
GPU_POWER, GPU_UTILIZATION = "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_GPU_UTIL"
IDLE_UTILIZATION_PERCENT = "1"  # the rule: a device below 1 % is idle


def efficiency(scope: Scope, window_seconds: int, step_seconds: int) -> str:
    """:func:`energy` plus, per device, its energy while idle and its mean utilisation (one request).

    Extra tags: ``gpu_idle_sum``/``npu_idle_sum`` (W summed over the grid while the
    device's utilisation is below 1 %; x step = joules), ``gpu_util_avg``/``npu_util_avg``
    (mean utilisation over the grid). GPUs without a utilisation reading (MIG) are absent:
    allocation decides their state, as in the accelerators API.
    """
    from kcloud.api.params import promql_duration

    grid = f"{promql_duration(window_seconds - step_seconds)}:{_seconds(step_seconds)}"
    gpu_w = f"max by (UUID) ({scope.sel(GPU_POWER)})"
    gpu_u = f"max by (UUID) ({scope.sel(GPU_UTILIZATION)})"
    npu_w = f"max by (uuid) ({scope.sel(None, names_regex(NPU_POWER), regex('label', 'rms|'))})"
    npu_u = f"avg by (uuid) ({scope.sel(None, names_regex(NPU_UTILIZATION))})"
    below = IDLE_UTILIZATION_PERCENT
    return union(
        energy(scope, window_seconds, step_seconds),
        tag(f"sum_over_time(({gpu_w} * on (UUID) ({gpu_u} < bool {below}))[{grid}])", "gpu_idle_sum"),
        tag(f"avg_over_time(({gpu_u})[{grid}])", "gpu_util_avg"),
        tag(f"sum_over_time(({npu_w} * on (uuid) ({npu_u} < bool {below}))[{grid}])", "npu_idle_sum"),
        tag(f"avg_over_time(({npu_u})[{grid}])", "npu_util_avg"),
    )


def power_series(scope: Scope, rate_window_seconds: int, *, by_namespace: bool) -> str:
    """Power parts per node (and, ``by_namespace``, per namespace and per device) for ``query_range``.

    Tags: ``k010_node`` (W per node and zone), ``k07_node_<zone>`` (rate of the 0.7
    counters), ``gpu_node``/``npu_node`` (W per node, MIG and partition rows
    de-duplicated), ``dcmi`` (wall W per node); with ``by_namespace`` also
    ``k010_ns``/``k07_ns_<zone>`` (W per namespace) and ``gpu_dev``/``npu_dev`` (W per
    device, multiplied by allocation shares in the service).
    """
    from kcloud.api.params import promql_duration

    rate = promql_duration(rate_window_seconds)
    gpu = f"max by (UUID, Hostname, hostname) ({scope.sel(GPU_POWER)})"
    npu = f"max by (uuid, hostname) ({scope.sel(None, names_regex(NPU_POWER), regex('label', 'rms|'))})"
    parts = [
        tag(f"sum by (node_name, zone) ({scope.sel('kepler_node_cpu_watts', ZONES)})", "k010_node"),
        tag(f"sum by (Hostname, hostname) ({gpu})", "gpu_node"),
        tag(f"sum by (hostname) ({npu})", "npu_node"),
        tag(f"max by (node, instance) ({scope.sel('ipmi_dcmi_power_consumption_watts')})", "dcmi"),
    ]
    not_system = ne("container_name", "system_processes")
    for zone in ("package", "dram"):
        node = scope.range(f"kepler_node_{zone}_joules_total", rate)
        parts.append(tag(f"sum by (exported_instance, instance) (rate({node}))", f"k07_node_{zone}"))
        if by_namespace:
            pod = scope.range(f"kepler_container_{zone}_joules_total", rate, not_system)
            parts.append(tag(f"sum by (container_namespace) (rate({pod}))", f"k07_ns_{zone}"))
    if by_namespace:
        parts.append(tag(f"sum by (pod_namespace, zone) ({scope.sel('kepler_pod_cpu_watts', ZONES)})", "k010_ns"))
        parts.append(tag(f"max by (UUID) ({gpu})", "gpu_dev"))
        parts.append(tag(f"max by (uuid) ({npu})", "npu_dev"))
    return union(*parts)

"""Nodes: list, summary, detail, power over a window, and usage metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.cache import LIVE, RANGE, SUMMARY, cached_query, cached_query_range
from clusters.prometheus.client import client_for
from clusters.prometheus.fanout import ClusterResult
from infrastructure import queries
from infrastructure.services.snapshot import ClusterSnapshot, Node, NodePower

J_PER_KWH = 3.6e6
NODE_POWER_FIELDS = (
    "power_watts",
    "cpu_power_watts",
    "dram_power_watts",
    "gpu_power_watts",
    "npu_power_watts",
    "measured_power_watts",
)
NODE_NUMERIC_FIELDS = (
    *NODE_POWER_FIELDS,
    "cpu_cores",
    "memory_total_mb",
    "allocatable_cpu_cores",
    "allocatable_memory_mb",
    "gpu_count",
    "npu_count",
    "pod_count",
)
NODE_ORDERING = ("name", "cluster", "status", *NODE_NUMERIC_FIELDS)


@dataclass(frozen=True)
class NodeFilters:
    """Validated filters of the node list (the cluster filter is applied before the fan-out)."""

    status: str | None = None
    role: str | None = None
    has_gpu: bool | None = None
    has_npu: bool | None = None


def node_value(node: Node, name: str) -> Any:
    """A field of a node row, power fields included (for ordering and serializing)."""
    if name in NODE_POWER_FIELDS:
        return getattr(node.power, name)
    return getattr(node, name)


def _matches(node: Node, f: NodeFilters) -> bool:
    if f.status is not None and node.status != f.status:
        return False
    if f.role is not None and f.role not in node.roles:
        return False
    if f.has_gpu is not None and (node.gpu_count > 0) != f.has_gpu:
        return False
    return f.has_npu is None or (node.npu_count > 0) == f.has_npu


def list_nodes(results: list[ClusterResult[ClusterSnapshot]], filters: NodeFilters) -> list[Node]:
    """Nodes of every answering cluster that pass the filters, in (cluster, name) order."""
    rows = []
    for result in results:
        if result.ok:
            rows.extend(n for _name, n in sorted(result.value.nodes.items()) if _matches(n, filters))
    return rows


def summarize_nodes(nodes: list[Node], top: int = 10) -> dict:
    """Counts by status and role, total power (and its parts), the top nodes by power."""
    by_status: dict[str, int] = {"ready": 0, "not_ready": 0, "unknown": 0}
    by_role: dict[str, int] = {}
    totals = dict.fromkeys((*NODE_POWER_FIELDS, "components_watts", "other_watts"), 0.0)
    reporting = measured = 0
    for n in nodes:
        by_status[n.status] = by_status.get(n.status, 0) + 1
        for role in n.roles or ["<none>"]:
            by_role[role] = by_role.get(role, 0) + 1
        if n.power.power_watts is not None:
            reporting += 1
        if n.power.measured_power_watts is not None:
            measured += 1
        for key in totals:
            value = getattr(n.power, key)
            if value is not None:
                totals[key] += value
    ranked = sorted((n for n in nodes if n.power.power_watts is not None), key=lambda n: -n.power.power_watts)
    return {
        "nodes": len(nodes),
        "nodes_reporting_power": reporting,
        "nodes_with_measured_power": measured,
        "by_status": by_status,
        "by_role": dict(sorted(by_role.items())),
        "total": totals,
        "top": ranked[:top],
    }


# -- one node -------------------------------------------------------------------------------
def power_breakdown(power: NodePower) -> dict:
    """The node's power now: total and parts; ``other`` only when DCMI wall power exists."""
    return {
        "power_watts": power.power_watts,
        "source": "measured" if power.measured_power_watts is not None else "components",
        "cpu": {
            "power_watts": power.cpu_power_watts,
            "idle_watts": power.cpu_idle_watts,
            "pods_watts": power.cpu_pods_watts,
            "system_watts": power.cpu_system_watts,
        },
        "dram": {
            "power_watts": power.dram_power_watts,
            "idle_watts": power.dram_idle_watts,
            "pods_watts": power.dram_pods_watts,
        },
        "gpu_power_watts": power.gpu_power_watts,
        "npu_power_watts": power.npu_power_watts,
        "components_watts": power.components_watts,
        "measured_power_watts": power.measured_power_watts,
        "other_watts": power.other_watts,
    }


@dataclass
class WindowStats:
    """A node's power over a window: energy per part and of the total, avg/min/max of the total."""

    window_seconds: int
    step_seconds: int
    energy_kwh: float | None = None
    energy_source: str | None = None
    parts_energy_kwh: dict[str, float | None] = field(default_factory=dict)
    avg_power_watts: float | None = None
    min_power_watts: float | None = None
    max_power_watts: float | None = None
    series: list[dict] = field(default_factory=list)


def _tagged(samples: list) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for s in samples:
        out[s.labels.get(queries.TAG, "")] = s.value
    return out


def node_window(cluster: Any, node: Node, at: float, window_seconds: int, step_seconds: int) -> WindowStats:
    """Energy and power statistics of one node over ``[at - window, at]`` (two requests).

    Energy: Kepler and DCGM counters through ``increase``; NPU and DCMI power are
    gauges integrated with ``avg_over_time(x[w:30s]) x w``. The total is the DCMI
    wall energy when the node has DCMI (like ``power_watts``), else the sum of the
    parts. Min/max come from the power series at ``step_seconds``. A node without
    GPUs (NPUs) has 0 J of GPU (NPU) energy, not null.
    """
    name = node.name
    zero = {"gpu": 0.0 if node.gpu_count == 0 else None, "npu": 0.0 if node.npu_count == 0 else None}
    from kcloud.api.params import promql_duration

    client = client_for(cluster)
    window = promql_duration(window_seconds)
    energy = _tagged(cached_query(client, queries.node_energy(cluster.scope, name, window), SUMMARY, time=at).samples)
    stats = WindowStats(window_seconds=window_seconds, step_seconds=step_seconds)
    parts = {
        "cpu": energy.get("energy_package"),
        "dram": energy.get("energy_dram"),
        "gpu": energy.get("energy_gpu", zero["gpu"]),
        "npu": zero["npu"] if energy.get("avg_npu") is None else energy["avg_npu"] * window_seconds,
    }
    measured_avg = energy.get("avg_measured")
    stats.parts_energy_kwh = {k: None if v is None else v / J_PER_KWH for k, v in parts.items()}
    stats.parts_energy_kwh["measured"] = None if measured_avg is None else measured_avg * window_seconds / J_PER_KWH
    if measured_avg is not None:
        stats.energy_kwh, stats.energy_source = stats.parts_energy_kwh["measured"], "measured"
    elif parts["cpu"] is not None:
        stats.energy_kwh = sum(v for v in stats.parts_energy_kwh.values() if v is not None)
        stats.energy_source = "components"
    if stats.energy_kwh is not None:
        stats.avg_power_watts = stats.energy_kwh * J_PER_KWH / window_seconds
    result = cached_query_range(
        client, queries.node_power_series(cluster.scope, name), at - window_seconds, at, step_seconds, RANGE
    )
    points: dict[float, dict[str, float | None]] = {}
    for series in result.series:
        part = series.labels.get(queries.TAG, "")
        for ts, value in series.points:
            points.setdefault(ts, {})[part] = value
    for ts in sorted(points):
        row = points[ts]
        cpu, dram = row.get("package"), row.get("dram")
        gpu, npu, measured = row.get("gpu", zero["gpu"]), row.get("npu", zero["npu"]), row.get("measured")
        components = None if cpu is None else cpu + (dram or 0.0) + (gpu or 0.0) + (npu or 0.0)
        total = measured if measured is not None else components
        stats.series.append(
            {
                "timestamp": ts,
                "cpu_power_watts": cpu,
                "dram_power_watts": dram,
                "gpu_power_watts": gpu,
                "npu_power_watts": npu,
                "measured_power_watts": measured,
                "power_watts": total,
            }
        )
    totals = [p["power_watts"] for p in stats.series if p["power_watts"] is not None]
    if totals:
        stats.min_power_watts, stats.max_power_watts = min(totals), max(totals)
    return stats


def node_metrics(cluster: Any, node: str, at: float) -> dict:
    """cAdvisor usage (root cgroup), pod and container counts, and load averages where node_exporter has them."""
    client = client_for(cluster)
    result = cached_query(client, queries.node_metrics(cluster.scope, node), LIVE, time=at)
    out: dict[str, float | None] = dict.fromkeys(
        (
            "cpu_usage_cores",
            "memory_working_set_bytes",
            "pods",
            "containers",
            "load1",
            "load5",
            "load15",
        )
    )
    for s in result.samples:
        name = s.labels.get(queries.TAG) or s.labels.get("__name__", "").removeprefix("node_")
        if name in out:
            out[name] = s.value
    mem = out.pop("memory_working_set_bytes")
    return {
        "cpu_usage_cores": out["cpu_usage_cores"],
        "memory_working_set_mb": None if mem is None else mem / (1024.0 * 1024.0),
        "pods": None if out["pods"] is None else int(out["pods"]),
        "containers": None if out["containers"] is None else int(out["containers"]),
        "load1": out["load1"],
        "load5": out["load5"],
        "load15": out["load15"],
    }

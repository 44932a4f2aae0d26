"""Nodes: list, summary, detail, power over a window, and usage metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import LIVE, cached_query
from clusters.prometheus.client import client_for
from clusters.prometheus.fanout import ClusterResult
from clusters.prometheus.promql import TAG
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


def node_window(cluster: Any, node: Node, at: float, window_seconds: int, step_seconds: int) -> WindowStats:
    """Energy and power statistics of one node over ``[at - window, at]``.

    The node's figures are read from the cluster's energy answer and power series
    (:mod:`infrastructure.services.energy`, :mod:`infrastructure.services.series`,
    both cached and shared with the monitoring endpoints), so the node page and the
    fleet answers agree by construction. Energy: counters through ``increase``, NPU
    and DCMI power integrated from their gauges. The total is the DCMI wall energy
    when the node has DCMI (like ``power_watts``), else the parts when all are known.
    Min/max come from the power series at ``step_seconds``.
    """
    from infrastructure.services.energy import cluster_energy
    from infrastructure.services.series import fetch_series
    from infrastructure.services.series import node_power as series_node_power

    client = client_for(cluster)
    start = at - window_seconds
    energy = cluster_energy(client, cluster, at, window_seconds)
    stats = WindowStats(window_seconds=window_seconds, step_seconds=step_seconds)
    found = energy.nodes.get(node.name)
    if found is not None:
        joules = {part: getattr(found.parts, part) for part in ("cpu", "dram", "gpu", "npu")}
        joules["measured"] = found.wall_joules
        stats.parts_energy_kwh = {k: None if v is None else v / J_PER_KWH for k, v in joules.items()}
        total = found.figures.power
        if total is not None:
            stats.energy_kwh = total / J_PER_KWH
            stats.energy_source = "measured" if found.wall_joules is not None else "components"
            stats.avg_power_watts = total / window_seconds
    series = fetch_series(client, cluster, start, at, step_seconds, False)
    stamps = sorted({ts for points in series.node.values() for ts in points})  # the range's own (aligned) grid
    parts = series_node_power(series, stamps).get(node.name, {})
    for ts in stamps:
        row = {
            "timestamp": ts,
            "cpu_power_watts": parts.get("cpu", {}).get(ts),
            "dram_power_watts": parts.get("dram", {}).get(ts),
            "gpu_power_watts": parts.get("gpu", {}).get(ts),
            "npu_power_watts": parts.get("npu", {}).get(ts),
            "measured_power_watts": parts.get("wall", {}).get(ts),
            "power_watts": parts.get("power", {}).get(ts),
        }
        if any(v is not None for k, v in row.items() if k != "timestamp"):
            stats.series.append(row)
    totals = [p["power_watts"] for p in stats.series if p["power_watts"] is not None]
    if totals:
        stats.min_power_watts, stats.max_power_watts = min(totals), max(totals)
    return stats


USAGE_FIELDS = ("cpu_usage_cores", "memory_working_set_bytes", "pods", "containers", "load1", "load5", "load15")


def node_metrics(cluster: Any, node: str, at: float) -> dict:
    """cAdvisor usage (root cgroup), pod and container counts, and load averages where node_exporter has them.

    One cached request for every node of the cluster (placed by :mod:`clusters.placement`).
    """
    client = client_for(cluster)
    result = cached_query(client, queries.node_usage(cluster.scope), LIVE, time=at)
    placement = P.Placement.from_samples(result.samples)
    out: dict[str, float | None] = dict.fromkeys(USAGE_FIELDS)
    for s in result.samples:
        name = s.labels.get(TAG) or s.labels.get("__name__", "").removeprefix("node_")
        if name not in out:
            continue
        source = P.NODE_EXPORTER if name.startswith("load") else P.CADVISOR
        if placement.node(s.labels, source).node == node and s.value is not None:
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

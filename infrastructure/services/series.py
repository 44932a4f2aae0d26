"""Power over time of every node (and namespace) of one cluster: one range query per cluster.

Per node and timestamp the parts (CPU = RAPL package of both Kepler generations,
DRAM, GPUs, NPUs) and the measured wall power are combined by
:mod:`infrastructure.nodepower`, exactly as power now and energy combine them.
Series are placed on nodes by :mod:`clusters.placement` (at the range's end; one
cached instant request when the range answer alone cannot say where a series
is). By namespace, pods' CPU/DRAM come from Kepler and GPU/NPU = device power x
allocation share (allocations at the range's end).

Kepler 0.7 counters are read as ``rate`` over max(2 min, step): the mean power of
each step. A value is null where its sources have no sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import RANGE, cached_query_range
from clusters.prometheus.promql import TAG
from infrastructure import nodepower, queries
from infrastructure.kepler import zone_of

PARTS = ("cpu", "dram", "gpu", "npu")
_ZONE_PART = {"package": "cpu", "dram": "dram"}
_DEVICE_SOURCE = {"gpu_node": ("gpu", P.DCGM), "npu_node": ("npu", P.FURIOSA)}
MIN_RATE_SECONDS = 120


@dataclass
class ClusterSeries:
    """Watts per (node, part) and per namespace, by timestamp, for one cluster."""

    cluster: str
    node: dict[tuple[str, str], dict[float, float]] = field(default_factory=dict)  # (node, part) -> ts -> W
    namespace: dict[str, dict[float, float]] = field(default_factory=dict)  # ns -> ts -> W
    placement: P.Placement | None = None
    tally: P.Tally = field(default_factory=P.Tally)


def _add(target: dict, key: Any, points: list) -> None:
    series = target.setdefault(key, {})
    for ts, value in points:
        if value is not None:
            series[ts] = series.get(ts, 0.0) + value


def fetch_series(
    client: Any,
    cluster: Any,
    start: float,
    end: float,
    step: int,
    by_namespace: bool,
    placement: P.Placement | None = None,
) -> ClusterSeries:
    """One range query, the placement at ``end`` (and, by namespace, the device inventory); in a worker.

    ``placement``: the cluster's placement when the caller has it already (a device
    inventory at ``end``), saving its request.
    """
    expr = queries.power_series(cluster.scope, max(MIN_RATE_SECONDS, step), by_namespace=by_namespace)
    result = cached_query_range(client, expr, start, end, step, RANGE)
    out = ClusterSeries(cluster=cluster.name)
    shares: dict[str, list[tuple[str, float]]] = {}
    if by_namespace:
        from accelerators import devices

        inventory = devices.fetch_accelerators(client, cluster, at=end)
        out.placement = inventory.placement
        for d in [*inventory.gpus, *inventory.npus]:
            shares[d.id] = [(a.namespace, a.share) for a in d.allocations]
    else:
        out.placement = placement or P.fetch(client, cluster, end)
    placement, tally = out.placement, out.tally

    def node(lab: dict[str, str], source: str) -> str | None:
        return tally.count(source, placement.node(lab, source), lab)

    for s in result.series:
        kind, lab = s.labels.get(TAG, ""), s.labels
        if kind == "k010_node" and zone_of(lab) in _ZONE_PART:
            _add(out.node, (node(lab, P.KEPLER), _ZONE_PART[zone_of(lab)]), s.points)
        elif kind in ("k07_node_package", "k07_node_dram"):
            _add(out.node, (node(lab, P.KEPLER), _ZONE_PART[kind.rsplit("_", 1)[1]]), s.points)
        elif kind in _DEVICE_SOURCE:
            part, source = _DEVICE_SOURCE[kind]
            _add(out.node, (node(lab, source), part), s.points)
        elif kind == "dcmi":
            _add(out.node, (node(lab, P.IPMI), "wall"), s.points)
        elif kind == "k010_ns" and zone_of(lab) in _ZONE_PART:
            _add(out.namespace, lab.get("pod_namespace", ""), s.points)
        elif kind in ("k07_ns_package", "k07_ns_dram"):
            _add(out.namespace, lab.get("container_namespace", ""), s.points)
        elif kind in ("gpu_dev", "npu_dev"):
            for ns, share in shares.get(lab.get("UUID") or lab.get("uuid") or "", []):
                _add(out.namespace, ns, [(ts, None if v is None else v * share) for ts, v in s.points])
    return out


def node_power(series: ClusterSeries, timestamps: list[float]) -> dict[str, dict[str, dict[float, float]]]:
    """node -> {part | "wall" | "power" | "components" | "other"} -> ts -> W, by :mod:`infrastructure.nodepower`."""
    nodes: dict[str, dict[str, dict[float, float]]] = {}
    for (name, part), points in series.node.items():
        if name:
            nodes.setdefault(name, {})[part] = points
    placement = series.placement or P.Placement()
    for name, parts in nodes.items():
        power: dict[float, float] = {}
        components: dict[float, float] = {}
        other: dict[float, float] = {}
        for ts in timestamps:
            cpu = parts.get("cpu", {}).get(ts)
            up = cpu is not None
            devices = {}
            for kind in ("gpu", "npu"):
                value = parts.get(kind, {}).get(ts)
                expected = placement.expects(name, kind) or not up
                devices[kind] = nodepower.device_part([] if value is None else [value], expected=expected)
            figures = nodepower.combine(
                cpu, parts.get("dram", {}).get(ts), devices["gpu"], devices["npu"], parts.get("wall", {}).get(ts)
            )
            for target, value in ((power, figures.power), (components, figures.components), (other, figures.other)):
                if value is not None:
                    target[ts] = value
            for kind in ("gpu", "npu"):
                if devices[kind] is not None:
                    parts.setdefault(kind, {})[ts] = devices[kind]  # 0 W for a node without such devices
        parts["power"], parts["components"], parts["other"] = power, components, other
    return nodes


def node_power_points(series: ClusterSeries, timestamps: list[float]) -> dict[str, dict[float, float]]:
    """Each node's power by timestamp (DCMI wall power, else the parts), as in ``group_by=node``."""
    return {name: parts["power"] for name, parts in node_power(series, timestamps).items()}

"""``/monitoring/timeseries/power``: power over time, grouped, from one range query per cluster.

Per node and timestamp, the node's power is its DCMI wall power when measured,
else CPU (RAPL package, both Kepler generations) + DRAM + GPU + NPU, as for power
now. Groups:

* ``cluster``/``node``: the nodes' power;
* ``resource_type``: gpu, npu, cpu, dram and ``other`` (wall power beyond the parts);
* ``namespace``: pods' CPU/DRAM from Kepler, GPU/NPU = device power x allocation
  share (allocations at ``end``), plus ``__idle__`` (node parts not attributed to a
  pod) and ``__unattributed__`` (wall power beyond the parts) series, so the
  series add up to the cluster's power at every timestamp.

Kepler 0.7 counters are read as ``rate`` over max(2 min, step): the mean power of
each step. A value is null where its sources have no sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.cache import RANGE, cached_query_range
from clusters.prometheus.fanout import ClusterResult
from infrastructure import identity
from infrastructure.queries import zone_of
from monitoring import queries

GROUP_BYS = ("cluster", "resource_type", "namespace", "node")
IDLE, UNATTRIBUTED = "__idle__", "__unattributed__"
PARTS = ("cpu", "dram", "gpu", "npu")
_ZONE_PART = {"package": "cpu", "dram": "dram"}
MIN_RATE_SECONDS = 120


@dataclass
class ClusterSeries:
    """Watts per (node, part) and per namespace, by timestamp, for one cluster."""

    cluster: str
    node: dict[tuple[str, str], dict[float, float]] = field(default_factory=dict)  # (node, part) -> ts -> W
    namespace: dict[str, dict[float, float]] = field(default_factory=dict)  # ns -> ts -> W


def _add(target: dict, key: Any, points: list) -> None:
    series = target.setdefault(key, {})
    for ts, value in points:
        if value is not None:
            series[ts] = series.get(ts, 0.0) + value


def fetch_series(client: Any, cluster: Any, start: float, end: float, step: int, by_namespace: bool) -> ClusterSeries:
    """One range query (plus, by namespace, the accelerators' device requests at ``end``); in a worker."""
    expr = queries.power_series(cluster.scope, max(MIN_RATE_SECONDS, step), by_namespace=by_namespace)
    result = cached_query_range(client, expr, start, end, step, RANGE)
    out = ClusterSeries(cluster=cluster.name)
    shares: dict[str, list[tuple[str, float]]] = {}
    if by_namespace:
        from accelerators import devices

        inventory = devices.fetch_accelerators(client, cluster, at=end)
        for d in [*inventory.gpus, *inventory.npus]:
            shares[d.id] = [(a.namespace, a.share) for a in d.allocations]
    for s in result.series:
        kind, lab = s.labels.get(queries.TAG, ""), s.labels
        if kind == "k010_node" and zone_of(lab) in _ZONE_PART:
            _add(out.node, (identity.kepler_node(lab), _ZONE_PART[zone_of(lab)]), s.points)
        elif kind in ("k07_node_package", "k07_node_dram"):
            _add(out.node, (identity.kepler_node(lab), _ZONE_PART[kind.rsplit("_", 1)[1]]), s.points)
        elif kind == "gpu_node":
            _add(out.node, (identity.dcgm_node(lab), "gpu"), s.points)
        elif kind == "npu_node":
            _add(out.node, (identity.npu_node(lab), "npu"), s.points)
        elif kind == "dcmi":
            _add(out.node, (identity.ipmi_node(lab), "wall"), s.points)
        elif kind == "k010_ns" and zone_of(lab) in _ZONE_PART:
            _add(out.namespace, lab.get("pod_namespace", ""), s.points)
        elif kind in ("k07_ns_package", "k07_ns_dram"):
            _add(out.namespace, lab.get("container_namespace", ""), s.points)
        elif kind in ("gpu_dev", "npu_dev"):
            for ns, share in shares.get(lab.get("UUID") or lab.get("uuid") or "", []):
                _add(out.namespace, ns, [(ts, None if v is None else v * share) for ts, v in s.points])
    return out


def _node_power(series: ClusterSeries, timestamps: list[float]) -> dict[str, dict[str, dict[float, float]]]:
    """node -> {part | "power" | "other"} -> ts -> W."""
    nodes: dict[str, dict[str, dict[float, float]]] = {}
    for (node, part), points in series.node.items():
        if node:
            nodes.setdefault(node, {})[part] = points
    for parts in nodes.values():
        power, other = {}, {}
        for ts in timestamps:
            cpu = parts.get("cpu", {}).get(ts)
            values = [parts.get(p, {}).get(ts) for p in PARTS]
            components = None if cpu is None else sum(v for v in values if v is not None)
            wall = parts.get("wall", {}).get(ts)
            if wall is not None:
                power[ts] = wall
                if components is not None:
                    other[ts] = wall - components
            elif components is not None:
                power[ts] = components
        parts["power"], parts["other"] = power, other
    return nodes


def _values(points: dict[float, float], timestamps: list[float]) -> list[float | None]:
    return [points.get(ts) for ts in timestamps]


def _sum(series: list[dict[float, float]], timestamps: list[float]) -> dict[float, float]:
    out: dict[float, float] = {}
    for points in series:
        for ts in timestamps:
            if ts in points:
                out[ts] = out.get(ts, 0.0) + points[ts]
    return out


def group_series(results: list[ClusterResult[ClusterSeries]], group_by: str, timestamps: list[float]) -> list[dict]:
    """Rows ``{<group key>..., power_watts: [values aligned with timestamps]}``."""
    rows: list[dict] = []
    by_type: dict[str, list[dict[float, float]]] = {p: [] for p in (*PARTS, "other")}
    for result in results:
        if not result.ok:
            continue
        series = result.value
        c = series.cluster
        nodes = _node_power(series, timestamps)
        if group_by == "cluster":
            rows.append({"cluster": c, "points": _sum([n["power"] for n in nodes.values()], timestamps)})
        elif group_by == "node":
            rows.extend({"cluster": c, "node": name, "points": n["power"]} for name, n in sorted(nodes.items()))
        elif group_by == "resource_type":
            for part in by_type:
                by_type[part].extend(n.get(part, {}) for n in nodes.values() if n["power"])
        else:
            pods = {ns: points for ns, points in series.namespace.items() if ns}
            rows.extend({"cluster": c, "namespace": ns, "points": p} for ns, p in sorted(pods.items()))
            components = _sum(
                [{ts: w - n["other"].get(ts, 0.0) for ts, w in n["power"].items()} for n in nodes.values()],
                timestamps,
            )
            attributed = _sum(list(pods.values()), timestamps)
            idle = {ts: w - attributed.get(ts, 0.0) for ts, w in components.items()}
            rows.append({"cluster": c, "namespace": IDLE, "points": idle})
            rows.append(
                {
                    "cluster": c,
                    "namespace": UNATTRIBUTED,
                    "points": _sum([n["other"] for n in nodes.values()], timestamps),
                }
            )
    if group_by == "resource_type":
        rows = [{"resource_type": part, "points": _sum(series, timestamps)} for part, series in by_type.items()]
    for row in rows:
        row["power_watts"] = _values(row.pop("points"), timestamps)
    return rows


def node_power_points(series: ClusterSeries, timestamps: list[float]) -> dict[str, dict[float, float]]:
    """Each node's power by timestamp (DCMI wall power, else the parts), as in ``group_by=node``.

    Used by the metrics catalog's ``node_power_watts``, so both endpoints give the same numbers.
    """
    return {node: parts["power"] for node, parts in _node_power(series, timestamps).items()}

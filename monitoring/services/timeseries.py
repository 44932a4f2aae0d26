"""``/monitoring/timeseries/power``: power over time, grouped, from one range query per cluster.

The per-node and per-namespace series are the infrastructure domain's
(:mod:`infrastructure.services.series`: node power is its DCMI wall power when
measured, else CPU + DRAM + GPU + NPU, as for power now). Groups:

* ``cluster``/``node``: the nodes' power;
* ``resource_type``: gpu, npu, cpu, dram and ``other`` (wall power beyond the parts);
* ``namespace``: pods' CPU/DRAM from Kepler, GPU/NPU = device power x allocation
  share (allocations at ``end``), plus ``__idle__`` (node parts not attributed to a
  pod) and ``__unattributed__`` (wall power beyond the parts) series, so the
  series add up to the cluster's power at every timestamp.
"""

from __future__ import annotations

from clusters.prometheus.fanout import ClusterResult
from infrastructure.services.series import PARTS, ClusterSeries, fetch_series, node_power, node_power_points

__all__ = ["GROUP_BYS", "fetch_series", "group_series", "node_power_points"]

GROUP_BYS = ("cluster", "resource_type", "namespace", "node")
IDLE, UNATTRIBUTED = "__idle__", "__unattributed__"


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
        nodes = node_power(series, timestamps)
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
            components = _sum([n["components"] for n in nodes.values()], timestamps)
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

"""What a poller publishes: one poll of Prometheus turned into stream messages.

``power`` messages reuse the infrastructure snapshot (:func:`infrastructure.
services.common.snapshot_of`: nodes with their power parts, 4 PromQL requests per
cluster, shared with the node lists evaluated at the same instant), summed the
way ``monitoring.services.power.cluster_power`` defines a cluster's IT power:

* a cluster's IT power = the sum of its reporting nodes' ``power_watts`` (DCMI
  wall power where measured, else CPU + DRAM + GPU + NPU);
* its parts cpu/dram/gpu/npu = the sums of the nodes' parts; ``other`` = IT
  power - the parts (what only a wall meter sees);

so ``total_power_watts`` is the sum of the non-null ``groups`` for either
grouping. ``gpus`` messages carry the accelerators API's GPU list rows
(:func:`accelerators.devices.fetch_gpus`, 2 PromQL requests per cluster).

Runs in a worker thread: :func:`poll` touches no database (the poller loads the
Cluster rows before) and never raises for a cluster's failure (it becomes an
``error`` message and ``status: "error"`` in ``clusters``).
"""

from __future__ import annotations

from typing import Any

from accelerators.api.serializers import gpu_list_row
from accelerators.devices import fetch_gpus
from clusters.prometheus.fanout import ClusterResult, fan_out
from infrastructure.services.common import snapshot_of
from infrastructure.services.snapshot import ClusterSnapshot
from kcloud.timeutil import from_unix, isoformat
from monitoring.streams.topics import Topic

RESOURCE_TYPES = ("gpu", "npu", "cpu", "dram", "other")


def _known_sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def cluster_parts(snap: ClusterSnapshot) -> tuple[float | None, dict[str, float | None]]:
    """IT power of one cluster snapshot and its parts by resource type (see the module docstring)."""
    reporting = [n for n in snap.nodes.values() if n.power.power_watts is not None]
    it_power = _known_sum([n.power.power_watts for n in reporting])
    parts: dict[str, float | None] = {
        part: _known_sum([getattr(n.power, f"{part}_power_watts") for n in reporting])
        for part in ("gpu", "npu", "cpu", "dram")
    }
    parts["other"] = None if it_power is None else it_power - sum(v for v in parts.values() if v is not None)
    return it_power, parts


def _outcome(result: ClusterResult) -> dict:
    return {"name": result.cluster.name, "status": result.status}


def _errors(results: list[ClusterResult], stamp: str | None) -> list[dict]:
    return [
        {
            "type": "error",
            "timestamp": stamp,
            "cluster": r.cluster.name,
            "code": r.error_code or "error",
            "message": r.error or "error",
        }
        for r in results
        if not r.ok
    ]


def power_messages(topic: Topic, clusters: list[Any], at: float) -> list[dict]:
    """The ``power`` message (and one ``error`` per failed cluster) at ``at``."""
    results = fan_out(clusters, lambda client, cluster: snapshot_of(client, cluster, at))
    groups: dict[str, float | None] = {}
    if topic.group_by == "resource_type":
        per_type: dict[str, list[float | None]] = {part: [] for part in RESOURCE_TYPES}
        for r in results:
            if r.ok:
                _it, parts = cluster_parts(r.value)
                for part in RESOURCE_TYPES:
                    per_type[part].append(parts[part])
        groups = {part: _known_sum(values) for part, values in per_type.items()}
    else:
        for r in results:
            groups[r.cluster.name] = cluster_parts(r.value)[0] if r.ok else None
    stamp = isoformat(from_unix(at))
    message = {
        "type": "power",
        "timestamp": stamp,
        "interval_seconds": topic.interval_seconds,
        "group_by": topic.group_by,
        "clusters": [_outcome(r) for r in results],
        "total_power_watts": _known_sum(list(groups.values())),
        "groups": groups,
    }
    return [message, *_errors(results, stamp)]


def gpu_messages(topic: Topic, clusters: list[Any], at: float) -> list[dict]:
    """The ``gpus`` message (GPU rows of the accelerators API, filtered by node) at ``at``."""
    results = fan_out(clusters, lambda client, cluster: fetch_gpus(client, cluster, at=at))
    rows = [
        gpu_list_row(gpu) for r in results if r.ok for gpu in r.value if topic.node is None or gpu.node == topic.node
    ]
    stamp = isoformat(from_unix(at))
    message = {
        "type": "gpus",
        "timestamp": stamp,
        "interval_seconds": topic.interval_seconds,
        "node": topic.node,
        "clusters": [_outcome(r) for r in results],
        "gpus": rows,
    }
    return [message, *_errors(results, stamp)]


def poll(topic: Topic, clusters: list[Any], at: float) -> list[dict]:
    """Every message of one poll of ``topic`` at ``at`` (runs in a worker thread, no database)."""
    if topic.kind == "power":
        return power_messages(topic, clusters, at)
    return gpu_messages(topic, clusters, at)

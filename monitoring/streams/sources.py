"""What a poller publishes: one poll of Prometheus turned into stream messages.

**One PromQL request per cluster per poll** (:mod:`monitoring.streams.queries`):

* ``power``: :func:`monitoring.streams.queries.power` brings every node's power
  parts; they are merged by the infrastructure snapshot's own node rules
  (:func:`infrastructure.services.snapshot.merge_power`: DCMI wall power where measured,
  else CPU + DRAM + GPU + NPU; a node that should have devices but reports none
  has unknown accelerator power) and summed the way
  ``monitoring.services.power.cluster_power`` defines a cluster's IT power:

  * a cluster's IT power = the sum of its reporting nodes' ``power_watts``;
  * its parts cpu/dram/gpu/npu = the sums of the nodes' parts; ``other`` = IT
    power - the parts (what only a wall meter sees);

  so ``total_power_watts`` is the sum of the non-null ``groups`` for either
  grouping, and equals ``/api/v1/monitoring/power`` at the same instant.
* ``gpus``: the accelerators API's GPU list rows (:func:`accelerators.merge.merge_gpus`
  over the live-gauge and last-seen rows, fetched together in one request).

Runs in a worker thread: :func:`poll` touches no database (the poller loads the
Cluster rows before) and never raises for a cluster's failure (it becomes an
``error`` message and ``status: "error"`` in ``clusters``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accelerators.api.serializers import GpuListItemSerializer
from accelerators.devices import Gpu
from accelerators.merge import merge_gpus
from clusters import placement as P
from clusters.placement.model import CAPACITY_TAG
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.gcpause import gc_paused
from clusters.prometheus.results import Sample

# The snapshot's own parser and node rules (private there, shared on purpose): the
# stream must give the same numbers as the REST API, so it must not restate them.
from infrastructure.services.snapshot import ClusterSnapshot, Node, merge_power, parse_power
from kcloud import audience
from kcloud.timeutil import from_unix, isoformat
from monitoring.services.power import known_sum
from monitoring.streams import queries
from monitoring.streams.topics import Topic

RESOURCE_TYPES = ("gpu", "npu", "cpu", "dram", "other")


def cluster_parts(snap: ClusterSnapshot) -> tuple[float | None, dict[str, float | None]]:
    """IT power of one cluster snapshot and its parts by resource type (see the module docstring)."""
    reporting = [n for n in snap.nodes.values() if n.power.power_watts is not None]
    it_power = known_sum([n.power.power_watts for n in reporting])
    parts: dict[str, float | None] = {
        part: known_sum([getattr(n.power, f"{part}_power_watts") for n in reporting])
        for part in ("gpu", "npu", "cpu", "dram")
    }
    parts["other"] = None if it_power is None else it_power - sum(v for v in parts.values() if v is not None)
    return it_power, parts


@dataclass(frozen=True)
class DevicePower:
    """One physical GPU or NPU card as the node rules need it: where it is and what it draws now."""

    uuid: str
    node: str | None
    power_watts: float | None
    allocations: tuple = field(default=())  # pods are not part of a power stream

    @property
    def id(self) -> str:
        return self.uuid


def _kind(sample: Sample) -> str:
    return sample.labels.get(queries.TAG, "")


def power_snapshot(cluster: str, at: float, samples: list[Sample]) -> ClusterSnapshot:
    """Nodes with their power (no pods) from the answer of :func:`monitoring.streams.queries.power`."""
    snap = ClusterSnapshot(cluster=cluster, at=at)
    snap.placement = placement = P.Placement.from_samples(samples)
    for name in placement.nodes:
        snap.nodes[name] = Node(name=name, cluster=cluster)
    for s in samples:
        kind, lab = _kind(s), s.labels
        if kind == CAPACITY_TAG and s.value is not None and P.ksm_node(lab) in snap.nodes:
            snap.nodes[P.ksm_node(lab)].capacity[lab.get("resource", "")] = s.value  # type: ignore[index]
        elif kind == "gpu":
            uuid = lab.get("UUID") or lab.get("uuid") or ""
            node = snap.tally.count(P.DCGM, placement.node(lab, P.DCGM), lab)
            snap.gpus.append(DevicePower(uuid, node, s.value))
        elif kind == "npu":
            source = P.FURIOSA if "arch" in lab else P.REBELLIONS
            node = snap.tally.count(source, placement.node(lab, source), lab)
            snap.npus.append(DevicePower(lab.get("uuid", ""), node, s.value))
    merge_power(snap, parse_power(samples, placement, snap.tally))
    return snap


def fetch_power(client: Any, cluster: Any, at: float) -> ClusterSnapshot:
    """One cluster's nodes with their power at ``at``: one instant request (runs in a fan-out worker)."""
    answer = client.query(queries.power(cluster.scope), time=at)
    return power_snapshot(cluster.name, at, answer.samples)


def fetch_gpus(client: Any, cluster: Any, at: float) -> list[Gpu]:
    """Every GPU of one cluster at ``at`` as the accelerators API merges them: one instant request."""
    with gc_paused():
        answer = client.query(queries.gpus(cluster.scope), time=at)
        gauges = [s for s in answer.samples if _kind(s) == queries.GAUGES]
        seen = [s for s in answer.samples if _kind(s) == queries.SEEN]
        return merge_gpus(cluster.name, gauges, seen, P.Placement.from_samples(answer.samples), P.Tally())


def _outcome(result: ClusterResult) -> dict:
    return {"name": result.cluster.name, "status": result.status}


def _errors(results: list[ClusterResult], stamp: str | None) -> list[dict]:
    return [
        {
            "type": "error",
            "timestamp": stamp,
            "cluster": r.cluster.name,
            "code": r.error_code or "error",
            # One message for every subscriber (staff and partners alike): what failed, not where.
            "message": audience.public_error(r.error_code),
        }
        for r in results
        if not r.ok
    ]


def power_messages(topic: Topic, clusters: list[Any], at: float) -> list[dict]:
    """The ``power`` message (and one ``error`` per failed cluster) at ``at``.

    Each ``clusters`` entry also carries the cluster's IT ``power_watts`` (null when it
    failed), so a page grouped by resource type still shows every cluster's value.
    """
    results = fan_out(clusters, lambda client, cluster: fetch_power(client, cluster, at))
    powers = {r.cluster.name: cluster_parts(r.value) for r in results if r.ok}
    groups: dict[str, float | None] = {}
    if topic.group_by == "resource_type":
        groups = {part: known_sum([parts[part] for _it, parts in powers.values()]) for part in RESOURCE_TYPES}
    else:
        groups = {r.cluster.name: powers[r.cluster.name][0] if r.ok else None for r in results}
    stamp = isoformat(from_unix(at))
    message = {
        "type": "power",
        "timestamp": stamp,
        "interval_seconds": topic.interval_seconds,
        "group_by": topic.group_by,
        "clusters": [{**_outcome(r), "power_watts": powers[r.cluster.name][0] if r.ok else None} for r in results],
        "total_power_watts": known_sum(list(groups.values())),
        "groups": groups,
    }
    return [message, *_errors(results, stamp)]


def gpu_messages(topic: Topic, clusters: list[Any], at: float) -> list[dict]:
    """The ``gpus`` message (GPU rows of the accelerators API, filtered by node) at ``at``."""
    results = fan_out(clusters, lambda client, cluster: fetch_gpus(client, cluster, at))
    gpus = [gpu for r in results if r.ok for gpu in r.value if topic.node is None or gpu.node == topic.node]
    rows = GpuListItemSerializer(gpus, many=True).data
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

"""Energy of a window per node, pod and accelerator of one cluster: one energy request.

:func:`query_energy` runs in a fan-out worker and returns a :class:`ClusterEnergy`
(joules) from :func:`infrastructure.queries.energy` evaluated at the window's
end; :func:`attribute` then adds the accelerators' energy using the device
inventory at that instant (its allocation shares and its placement).

Semantics (those of ``demo/truth.py``):

* node CPU/DRAM = RAPL package/DRAM counters: idle + pods + non-pod processes;
  node GPU/NPU = the sum of its devices' energy;
* pod CPU/DRAM from Kepler's pod (0.10+) or container (0.7, minus the
  ``system_processes`` pseudo-container) counters; pod GPU/NPU = device energy x
  ``Allocation.share`` (MIG slices / 7, partition cores / card cores), with the
  allocations seen at the window's end;
* a node's **idle** energy = node part - its pods' part (idle power, non-pod
  processes, unallocated devices and MIG slices);
* ``wall_joules`` = DCMI wall energy when the BMC has DCMI (else None); a node's
  energy combines its parts by :mod:`infrastructure.nodepower`, like its power.

Series are placed by :mod:`clusters.placement`; what cannot be placed is counted
in ``tally`` (and reported), never credited to a node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import SUMMARY, cached_query
from clusters.prometheus.promql import TAG
from clusters.prometheus.threads import beside
from infrastructure import nodepower, queries
from infrastructure.kepler import zone_of

PARTS = ("cpu", "dram", "gpu", "npu")
_ZONE_PART = {"package": "cpu", "dram": "dram"}


@dataclass
class Parts:
    """Joules per part; None = the source reported nothing."""

    cpu: float | None = None
    dram: float | None = None
    gpu: float | None = None
    npu: float | None = None

    def add(self, part: str, joules: float | None) -> None:
        if joules is not None:
            setattr(self, part, (getattr(self, part) or 0.0) + joules)

    @property
    def total(self) -> float | None:
        known = [getattr(self, p) for p in PARTS if getattr(self, p) is not None]
        return sum(known) if known else None


@dataclass
class PodEnergy:
    """One pod's energy over the window."""

    namespace: str
    name: str
    node: str | None
    parts: Parts = field(default_factory=Parts)


@dataclass
class NodeEnergy:
    """One node's energy over the window (parts from the node-level counters)."""

    name: str
    parts: Parts = field(default_factory=Parts)
    wall_joules: float | None = None

    @property
    def figures(self) -> nodepower.NodeFigures:
        p = self.parts
        return nodepower.combine(p.cpu, p.dram, p.gpu, p.npu, self.wall_joules)

    @property
    def power_joules(self) -> float | None:
        """Wall energy when measured (DCMI), else the parts when all are known (like a node's ``power_watts``)."""
        return self.figures.power


@dataclass
class DeviceEnergy:
    """One physical accelerator's energy over the window."""

    id: str
    kind: str  # gpu | npu
    node: str | None
    joules: float
    vendor: str | None
    model: str | None


@dataclass
class ClusterEnergy:
    """Everything an energy answer needs from one cluster."""

    cluster: str
    end: float
    window_seconds: int
    nodes: dict[str, NodeEnergy] = field(default_factory=dict)
    pods: dict[tuple[str, str], PodEnergy] = field(default_factory=dict)
    devices: list[DeviceEnergy] = field(default_factory=list)
    facility: Any = None  # monitoring.economics.Facility, set by the caller that asked for it
    tally: P.Tally = field(default_factory=P.Tally)

    def idle(self, node: str) -> Parts:
        """Energy of ``node`` not attributed to any pod, per part (may be None where the node said nothing)."""
        n = self.nodes.get(node)
        out = Parts()
        if n is None:
            return out
        for part in PARTS:
            value = getattr(n.parts, part)
            if value is not None:
                pods = sum(getattr(p.parts, part) or 0.0 for p in self.pods.values() if p.node == node)
                setattr(out, part, value - pods)
        return out

    @property
    def it_joules(self) -> float | None:
        """The cluster's IT energy: the nodes' energy (wall where measured, else their parts)."""
        known = [n.power_joules for n in self.nodes.values() if n.power_joules is not None]
        return sum(known) if known else None


# Device energy before attribution: id -> (kind, labels of its series, joules).
RawDevices = dict[str, tuple[str, dict[str, str], float]]


def parse(out: ClusterEnergy, samples: list, placement: P.Placement) -> RawDevices:
    """Fill nodes and pods, placed; return the devices' energy for :func:`attribute`."""
    devices: RawDevices = {}
    step = queries.subquery_step(out.window_seconds)
    tally = out.tally

    def node(labels: dict[str, str], source: str) -> NodeEnergy | None:
        name = tally.count(source, placement.node(labels, source), labels)
        return None if name is None else out.nodes.setdefault(name, NodeEnergy(name))

    def pod(ns: str, name: str, node_name: str | None) -> PodEnergy:
        entry = out.pods.setdefault((ns, name), PodEnergy(ns, name, node_name))
        entry.node = entry.node or node_name
        return entry

    for s in samples:
        kind, lab, v = s.labels.get(TAG, ""), s.labels, s.value
        if v is None:
            continue
        if kind == "k010_node" and zone_of(lab) in _ZONE_PART:
            n = node(lab, P.KEPLER)
            if n is not None:
                n.parts.add(_ZONE_PART[zone_of(lab)], v)
        elif kind == "k010_pod" and zone_of(lab) in _ZONE_PART:
            ns, name = lab.get("pod_namespace", ""), lab.get("pod_name", "")
            where = tally.count(P.KEPLER, placement.node(lab, P.KEPLER), lab)
            pod(ns, name, where or placement.pod_node(ns, name)).parts.add(_ZONE_PART[zone_of(lab)], v)
        elif kind in ("k07_node_package", "k07_node_dram"):
            n = node(lab, P.KEPLER)
            if n is not None:
                n.parts.add(_ZONE_PART[kind.rsplit("_", 1)[1]], v)
        elif kind in ("k07_pod_package", "k07_pod_dram"):
            ns, name = lab.get("container_namespace", ""), lab.get("pod_name", "")
            where = tally.count(P.KEPLER, placement.container_node(lab, ns, name), lab)
            pod(ns, name, where).parts.add(_ZONE_PART[kind.rsplit("_", 1)[1]], v)
        elif kind == "gpu" and lab.get("UUID"):
            joules = v / 1000.0  # DCGM counts millijoules
            previous = devices.get(lab["UUID"])
            if previous is None or joules > previous[2]:  # rows of one GPU: MIG instances, label changes
                devices[lab["UUID"]] = ("gpu", lab, joules)
        elif kind == "npu_sum" and lab.get("uuid"):
            joules = v * step
            previous = devices.get(lab["uuid"])
            if previous is None or joules > previous[2]:
                devices[lab["uuid"]] = ("npu", lab, joules)
        elif kind == "dcmi_sum":
            n = node(lab, P.IPMI)
            if n is not None:
                n.wall_joules = v * step
    return devices


def attribute(out: ClusterEnergy, joules: RawDevices, devices: list[Any], placement: P.Placement) -> None:
    """Device energy to nodes and (by allocation share) to pods; ``devices`` = the GPUs and NPUs at the end.

    A device's node is the inventory's (placed from its full labels); a device the
    inventory no longer has is placed from the energy series' own labels.
    """
    info = {d.id: d for d in devices}
    for device_id, (kind, labels, j) in sorted(joules.items()):
        d = info.get(device_id)
        node_name = d.node if d is not None else None
        if node_name is None:
            source = P.DCGM if kind == "gpu" else P.FURIOSA
            node_name = out.tally.count(source, placement.node(labels, source), labels)
        vendor = None if d is None else d.vendor
        model = None if d is None else d.model
        out.devices.append(DeviceEnergy(device_id, kind, node_name, j, vendor, model))
        if node_name:
            out.nodes.setdefault(node_name, NodeEnergy(node_name)).parts.add(kind, j)
        for alloc in [] if d is None else d.allocations:
            p = out.pods.setdefault((alloc.namespace, alloc.pod), PodEnergy(alloc.namespace, alloc.pod, node_name))
            p.node = p.node or node_name
            p.parts.add(kind, j * alloc.share)
    # A node known to the counters has 0 J of a device kind it does not (and should not) have.
    for n in out.nodes.values():
        for kind in ("gpu", "npu"):
            if getattr(n.parts, kind) is None and n.parts.cpu is not None and not placement.expects(n.name, kind):
                setattr(n.parts, kind, 0.0)
    for p in out.pods.values():
        for kind in ("gpu", "npu"):
            if getattr(p.parts, kind) is None and p.parts.cpu is not None:
                setattr(p.parts, kind, 0.0)


def query_energy(client: Any, cluster: Any, end: float, window_seconds: int) -> tuple[ClusterEnergy, list]:
    """The energy request of one cluster; its samples still to be parsed with a placement (:func:`parse`)."""
    out = ClusterEnergy(cluster=cluster.name, end=end, window_seconds=window_seconds)
    expr = queries.energy(cluster.scope, window_seconds, queries.subquery_step(window_seconds))
    return out, cached_query(client, expr, SUMMARY, time=end).samples


def cluster_energy(
    client: Any, cluster: Any, end: float, window_seconds: int, inventory: Any | None = None
) -> ClusterEnergy:
    """Energy of one cluster over ``[end - window, end]``, attributed (runs in a fan-out worker).

    ``inventory``: the accelerators' :class:`~accelerators.devices.Inventory` at ``end``
    (or an object with ``gpus``, ``npus`` and ``placement``, like a snapshot) when the
    caller has it; else it is fetched (two cached requests, shared with the device lists).
    """
    from accelerators import devices as accelerators

    pending = beside(accelerators.fetch_accelerators, client, cluster, at=end) if inventory is None else None
    out, samples = query_energy(client, cluster, end, window_seconds)
    found = inventory if pending is None else pending.result()
    return finish(out, samples, found)


def finish(out: ClusterEnergy, samples: list, found: Any) -> ClusterEnergy:
    """Parse and attribute an energy answer with a device inventory (``gpus``, ``npus``, ``placement``)."""
    placement = found.placement or P.Placement()
    joules = parse(out, samples, placement)
    attribute(out, joules, [*found.gpus, *found.npus], placement)
    return out

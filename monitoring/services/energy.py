"""Energy of a window per cluster, node, pod and accelerator: one energy request per cluster.

:func:`fetch_energy` runs in a fan-out worker and returns a :class:`ClusterEnergy`
(joules) from :func:`monitoring.queries.energy` evaluated at the window's end,
plus the accelerators' inventory at that instant (:func:`accelerators.devices.
fetch_accelerators`, two cached requests shared with every live endpoint) for
allocation shares, and the facility query when the cluster has one.

Semantics (those of ``demo/truth.py``):

* node CPU/DRAM = RAPL package/DRAM counters: idle + pods + non-pod processes;
  node GPU/NPU = the sum of its devices' energy;
* pod CPU/DRAM from Kepler's pod (0.10+) or container (0.7, minus the
  ``system_processes`` pseudo-container) counters; pod GPU/NPU = device energy x
  ``Allocation.share`` (MIG slices / 7, partition cores / card cores), with the
  allocations seen at the window's end;
* a node's **idle** energy = node part - its pods' part (idle power, non-pod
  processes, unallocated devices and MIG slices): it is what ``idle=share``
  spreads and what ``idle=node`` reports as rows of its own;
* ``wall_joules`` = DCMI wall energy when the BMC has DCMI (else None).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.cache import SUMMARY, cached_query
from infrastructure import identity
from infrastructure.queries import zone_of
from monitoring import queries
from monitoring.economics import Facility, Site, fetch_facility

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
    def power_joules(self) -> float | None:
        """Wall energy when measured (DCMI), else the sum of the parts (like a node's ``power_watts``)."""
        return self.wall_joules if self.wall_joules is not None else self.parts.total


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
    facility: Facility | None = None

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
        """The cluster's IT energy: the nodes' wall energy where measured, else their parts."""
        known = [n.power_joules for n in self.nodes.values() if n.power_joules is not None]
        return sum(known) if known else None


def parse(out: ClusterEnergy, samples: list) -> dict[str, tuple[str, str | None, float]]:
    """Fill nodes and pods; return device energy by id: ``(kind, node, joules)``."""
    devices: dict[str, tuple[str, str | None, float]] = {}
    step = queries.subquery_step(out.window_seconds)

    def node(name: str | None) -> NodeEnergy | None:
        if not name:
            return None
        return out.nodes.setdefault(name, NodeEnergy(name))

    def pod(ns: str, name: str, node_name: str | None) -> PodEnergy:
        entry = out.pods.setdefault((ns, name), PodEnergy(ns, name, node_name))
        entry.node = entry.node or node_name
        return entry

    for s in samples:
        kind, lab, v = s.labels.get(queries.TAG, ""), s.labels, s.value
        if v is None:
            continue
        if kind == "k010_node" and zone_of(lab) in _ZONE_PART:
            n = node(identity.kepler_node(lab))
            if n is not None:
                n.parts.add(_ZONE_PART[zone_of(lab)], v)
        elif kind == "k010_pod" and zone_of(lab) in _ZONE_PART:
            p = pod(lab.get("pod_namespace", ""), lab.get("pod_name", ""), identity.kepler_node(lab))
            p.parts.add(_ZONE_PART[zone_of(lab)], v)
        elif kind in ("k07_node_package", "k07_node_dram"):
            n = node(identity.kepler_node(lab))
            if n is not None:
                n.parts.add(_ZONE_PART[kind.rsplit("_", 1)[1]], v)
        elif kind in ("k07_pod_package", "k07_pod_dram"):
            where = identity.kepler_node({"instance": lab.get("instance", "")})
            p = pod(lab.get("container_namespace", ""), lab.get("pod_name", ""), where)
            p.parts.add(_ZONE_PART[kind.rsplit("_", 1)[1]], v)
        elif kind == "gpu" and lab.get("UUID"):
            devices[lab["UUID"]] = ("gpu", identity.dcgm_node(lab), v / 1000.0)  # DCGM counts millijoules
        elif kind == "npu_sum" and lab.get("uuid"):
            devices[lab["uuid"]] = ("npu", identity.npu_node(lab), v * step)
        elif kind == "dcmi_sum":
            n = node(identity.ipmi_node(lab))
            if n is not None:
                n.wall_joules = v * step
    return devices


def attribute(out: ClusterEnergy, joules: dict[str, tuple[str, str | None, float]], devices: list[Any]) -> None:
    """Device energy to nodes and (by allocation share) to pods; ``devices`` = the GPUs and NPUs at the end."""
    info = {d.id: d for d in devices}
    for device_id, (kind, node_name, j) in sorted(joules.items()):
        d = info.get(device_id)
        node_name = node_name or (d.node if d is not None else None)
        vendor = None if d is None else d.vendor
        model = None if d is None else d.model
        out.devices.append(DeviceEnergy(device_id, kind, node_name, j, vendor, model))
        if node_name:
            out.nodes.setdefault(node_name, NodeEnergy(node_name)).parts.add(kind, j)
        for alloc in [] if d is None else d.allocations:
            p = out.pods.setdefault((alloc.namespace, alloc.pod), PodEnergy(alloc.namespace, alloc.pod, node_name))
            p.node = p.node or node_name
            p.parts.add(kind, j * alloc.share)
    # A node known to the counters has 0 J of a device kind it does not have (not "unknown").
    for n in out.nodes.values():
        for kind in ("gpu", "npu"):
            if getattr(n.parts, kind) is None and n.parts.cpu is not None:
                setattr(n.parts, kind, 0.0)
    for p in out.pods.values():
        for kind in ("gpu", "npu"):
            if getattr(p.parts, kind) is None and p.parts.cpu is not None:
                setattr(p.parts, kind, 0.0)


def query_energy(client: Any, cluster: Any, end: float, window_seconds: int) -> tuple[ClusterEnergy, dict]:
    """The energy request of one cluster, parsed; device energy still to be attributed (:func:`attribute`)."""
    out = ClusterEnergy(cluster=cluster.name, end=end, window_seconds=window_seconds)
    expr = queries.energy(cluster.scope, window_seconds, queries.subquery_step(window_seconds))
    result = cached_query(client, expr, SUMMARY, time=end)
    return out, parse(out, result.samples)


def fetch_energy(
    client: Any, cluster: Any, site: Site, end: float, window_seconds: int, devices: list[Any] | None = None
) -> ClusterEnergy:
    """Energy of one cluster over ``[end - window, end]`` (runs in a fan-out worker; no database).

    ``devices``: the GPUs and NPUs at ``end`` when the caller has them already
    (a power snapshot at the same instant); else they are fetched here.
    """
    from accelerators import devices as accelerators

    # The device inventory and the facility query run beside the energy query: the
    # cluster costs its slowest request, not the sum.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kcloud-energy") as pool:
        inventory = None
        if devices is None:
            inventory = pool.submit(accelerators.fetch_accelerators, client, cluster, at=end)
        facility = pool.submit(fetch_facility, client, site, end, window_seconds)
        out, joules = query_energy(client, cluster, end, window_seconds)
        if inventory is not None:
            found = inventory.result()
            devices = [*found.gpus, *found.npus]
        attribute(out, joules, devices or [])
        out.facility = facility.result()
    return out

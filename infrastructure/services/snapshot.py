"""One cluster's nodes and pods with their power, fetched in a constant number of requests.

:func:`fetch_snapshot` runs inside a fan-out worker (no database): one request
for the kube-state-metrics inventory and the power and usage of nodes and pods
(:func:`infrastructure.queries.snapshot`), and the accelerators' two device
queries (:mod:`accelerators.devices`), all evaluated at the same instant ``at``.
Everything else in the domain (lists, summaries, details, topology, power now)
is computed from these snapshots.

Every series is placed on its node through :mod:`clusters.placement` (whatever
the scrape setup); what cannot be placed is counted in ``tally``, not guessed.
Power semantics (the same as ``demo/truth.py``; node rules in
:mod:`infrastructure.nodepower`):

* node ``cpu_power_watts`` is the RAPL package (Kepler zone ``package``, which
  already contains ``core`` and ``uncore``): idle + pods + non-pod processes;
  ``dram_power_watts`` likewise for zone ``dram``;
* node ``gpu_power_watts``/``npu_power_watts`` = sum of the node's devices' power;
* ``measured_power_watts`` = IPMI DCMI wall power, None without DCMI;
  ``power_watts`` = measured when present, else the sum of the parts;
* pod GPU/NPU power = sum over its allocations of device power x share (a MIG
  instance's share is its compute slices / 7, an NPU partition's its cores / card cores);
* a pod that is not Running draws 0 W; a running pod on a node whose Kepler
  reports nothing has unknown (None) power.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import LIVE, cached_query
from clusters.prometheus.promql import TAG
from clusters.prometheus.results import Sample
from clusters.prometheus.threads import beside
from infrastructure import kepler, nodepower, queries

logger = logging.getLogger(__name__)

MIB = 1024.0 * 1024.0
READY_STATUS = {"true": "ready", "false": "not_ready", "unknown": "unknown"}
NODE_STATUSES = ("ready", "not_ready", "unknown")
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")


@dataclass
class NodePower:
    """Power of one node now (W); None = the source reported nothing."""

    cpu_power_watts: float | None = None
    cpu_idle_watts: float | None = None
    cpu_pods_watts: float | None = None
    cpu_system_watts: float | None = None
    dram_power_watts: float | None = None
    dram_idle_watts: float | None = None
    dram_pods_watts: float | None = None
    gpu_power_watts: float | None = None
    npu_power_watts: float | None = None
    components_watts: float | None = None
    measured_power_watts: float | None = None
    other_watts: float | None = None
    power_watts: float | None = None


@dataclass
class Node:
    """A Kubernetes node with its inventory, power and devices."""

    name: str
    cluster: str
    status: str = "unknown"
    roles: list[str] = field(default_factory=list)
    internal_ip: str | None = None
    kernel_version: str | None = None
    os_image: str | None = None
    kubelet_version: str | None = None
    container_runtime_version: str | None = None
    system_uuid: str | None = None
    unschedulable: bool | None = None
    capacity: dict[str, float] = field(default_factory=dict)
    allocatable: dict[str, float] = field(default_factory=dict)
    pod_count: int = 0
    power: NodePower = field(default_factory=NodePower)
    gpus: list[Any] = field(default_factory=list)  # accelerators.devices.Gpu
    npus: list[Any] = field(default_factory=list)  # accelerators.devices.Npu
    kepler_generation: str | None = None

    @property
    def cpu_cores(self) -> float | None:
        return self.capacity.get("cpu")

    @property
    def memory_total_mb(self) -> float | None:
        mem = self.capacity.get("memory")
        return None if mem is None else mem / MIB

    @property
    def allocatable_cpu_cores(self) -> float | None:
        return self.allocatable.get("cpu")

    @property
    def allocatable_memory_mb(self) -> float | None:
        mem = self.allocatable.get("memory")
        return None if mem is None else mem / MIB

    @property
    def gpu_count(self) -> int:
        """Physical GPUs DCGM reports on the node, else the whole GPUs kube-state-metrics says it has."""
        if self.gpus:
            return len(self.gpus)
        return int(self.capacity.get("nvidia_com_gpu", 0.0))

    @property
    def npu_count(self) -> int:
        """NPU cards the NPU exporters report on the node, else the node's (non-partition) NPU capacity."""
        if self.npus:
            return len(self.npus)
        return int(sum(v for r, v in self.capacity.items() if P.accelerator_kind(r) == "npu" and "_cores_" not in r))

    def expects(self, kind: str) -> bool:
        """Whether kube-state-metrics gives the node ``gpu``/``npu`` capacity (MIG slices and partitions count)."""
        return any(v > 0 and P.accelerator_kind(r) == kind for r, v in self.capacity.items())


@dataclass
class Pod:
    """A Kubernetes pod with its attributed power and usage."""

    namespace: str
    name: str
    cluster: str
    uid: str | None = None
    node: str | None = None
    phase: str = "Unknown"
    pod_ip: str | None = None
    host_ip: str | None = None
    owner_kind: str | None = None
    owner_name: str | None = None
    containers: list[str] = field(default_factory=list)
    cpu_power_watts: float | None = None
    dram_power_watts: float | None = None
    gpu_power_watts: float | None = None
    npu_power_watts: float | None = None
    power_watts: float | None = None
    gpus: list[str] = field(default_factory=list)
    npus: list[str] = field(default_factory=list)
    cpu_usage_cores: float | None = None
    memory_working_set_mb: float | None = None
    images: dict[str, str] = field(default_factory=dict)  # container -> image


@dataclass
class ClusterSnapshot:
    """Everything the node and pod lists need from one cluster, at one instant."""

    cluster: str
    at: float
    nodes: dict[str, Node] = field(default_factory=dict)
    pods: dict[tuple[str, str], Pod] = field(default_factory=dict)
    gpus: list[Any] = field(default_factory=list)
    npus: list[Any] = field(default_factory=list)
    kepler_generation: str | None = None
    placement: P.Placement | None = None
    tally: P.Tally = field(default_factory=P.Tally)


# -- accelerators ---------------------------------------------------------------------
def fetch_devices(client: Any, cluster: Any, at: float) -> Any:
    """The accelerators' :class:`~accelerators.devices.Inventory` of a cluster at ``at`` (two cached requests).

    The device objects are shared with other callers: read them, never change them.
    """
    from accelerators import devices

    return devices.fetch_accelerators(client, cluster, at=at)


def _device_node(device: Any) -> str | None:
    return getattr(device, "node", None)


def _power(device: Any) -> float | None:
    return getattr(device, "power_watts", None)


# -- parsing -----------------------------------------------------------------------------
def _kind(sample: Sample) -> str:
    return sample.labels.get(TAG) or sample.labels.get("__name__", "")


def _parse_inventory(snap: ClusterSnapshot, samples: list[Sample]) -> None:
    nodes, pods = snap.nodes, snap.pods

    def node(name: str) -> Node:
        if name not in nodes:
            nodes[name] = Node(name=name, cluster=snap.cluster)
        return nodes[name]

    def pod(labels: dict[str, str]) -> Pod:
        key = P.ksm_pod(labels)
        if key not in pods:
            pods[key] = Pod(namespace=key[0], name=key[1], cluster=snap.cluster)
        return pods[key]

    for s in samples:
        kind, lab = _kind(s), s.labels
        if kind == "kube_node_info":
            n = node(P.ksm_node(lab) or "")
            n.internal_ip = lab.get("internal_ip") or None
            n.kernel_version = lab.get("kernel_version") or None
            n.os_image = lab.get("os_image") or None
            n.kubelet_version = lab.get("kubelet_version") or None
            n.container_runtime_version = lab.get("container_runtime_version") or None
            n.system_uuid = lab.get("system_uuid") or None
        elif kind == "ready":
            node(P.ksm_node(lab) or "").status = READY_STATUS.get(lab.get("status", ""), "unknown")
        elif kind == "kube_node_role":
            role = lab.get("role")
            n = node(P.ksm_node(lab) or "")
            if role and role not in n.roles:
                n.roles.append(role)
        elif kind == "kube_node_spec_unschedulable" and s.value is not None:
            node(P.ksm_node(lab) or "").unschedulable = s.value == 1
        elif kind in ("kube_node_status_capacity", "kube_node_status_allocatable") and s.value is not None:
            n = node(P.ksm_node(lab) or "")
            target = n.capacity if kind == "kube_node_status_capacity" else n.allocatable
            target[lab.get("resource", "")] = s.value
        elif kind == "kube_pod_info":
            p = pod(lab)
            p.uid = lab.get("uid") or None
            p.node = P.ksm_node(lab)
            p.pod_ip = lab.get("pod_ip") or None
            p.host_ip = lab.get("host_ip") or None
            p.owner_kind = lab.get("created_by_kind") or None
            p.owner_name = lab.get("created_by_name") or None
        elif kind == "phase":
            pod(lab).phase = lab.get("phase", "Unknown")
        elif kind == "kube_pod_container_info":
            p = pod(lab)
            name = lab.get("container", "")
            if name and name not in p.containers:
                p.containers.append(name)
                p.images[name] = lab.get("image", "")
    nodes.pop("", None)
    for p in pods.values():
        p.containers.sort()
        if p.node and p.node in nodes and p.phase not in ("Succeeded", "Failed"):
            nodes[p.node].pod_count += 1


@dataclass
class _Kepler:
    """Kepler readings of one cluster, per node and per pod, already in watts."""

    generation: str | None = None
    node: dict[str, dict[str, float]] = field(default_factory=dict)  # node -> part -> W
    pod: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)  # (ns, pod) -> zone -> W
    pod_node: dict[tuple[str, str], str] = field(default_factory=dict)
    dcmi: dict[str, float] = field(default_factory=dict)
    cpu_cores: dict[tuple[str, str], float] = field(default_factory=dict)
    memory_bytes: dict[tuple[str, str], float] = field(default_factory=dict)


def _add(target: dict, key: Any, part: str, value: float | None) -> None:
    if value is None:
        return
    parts = target.setdefault(key, {})
    parts[part] = parts.get(part, 0.0) + value


_K010_NODE = {
    "kepler_node_cpu_watts": "total",
    "kepler_node_cpu_idle_watts": "idle",
    "kepler_node_cpu_active_watts": "active",
}


def parse_power(samples: list[Sample], placement: P.Placement, tally: P.Tally) -> _Kepler:
    """Read the power parts' tagged samples (Kepler 0.10 or 0.7, DCMI) into per-node parts, placed."""
    k = _Kepler()

    def node_of(lab: dict[str, str], source: str) -> str | None:
        return tally.count(source, placement.node(lab, source), lab)

    for s in samples:
        kind, lab = _kind(s), s.labels
        if kind in _K010_NODE:
            k.generation = "0.10"
            _add(k.node, node_of(lab, P.KEPLER), f"{kepler.zone_of(lab)}_{_K010_NODE[kind]}", s.value)
        elif kind == "k010_pod":
            k.generation = "0.10"
            key = (lab.get("pod_namespace", ""), lab.get("pod_name", ""))
            _add(k.pod, key, kepler.zone_of(lab), s.value)
            k.pod_node[key] = node_of(lab, P.KEPLER) or ""
        elif kind in ("k07_node_package", "k07_node_dram"):
            k.generation = k.generation or "0.7"
            zone = kind.rsplit("_", 1)[1]
            node = node_of(lab, P.KEPLER)
            _add(k.node, node, f"{zone}_total", s.value)
            if lab.get("mode") == "idle":
                _add(k.node, node, f"{zone}_idle", s.value)
        elif kind in ("k07_pod_package", "k07_pod_dram"):
            key = (lab.get("container_namespace", ""), lab.get("pod_name", ""))
            _add(k.pod, key, kind.rsplit("_", 1)[1], s.value)
            k.pod_node[key] = tally.count(P.KEPLER, placement.container_node(lab, *key), lab) or ""
        elif kind == "dcmi" and s.value is not None:
            node = node_of(lab, P.IPMI)
            if node:
                k.dcmi[node] = s.value
        elif kind == "pod_cpu_cores" and s.value is not None:
            k.cpu_cores[(lab.get("namespace", ""), lab.get("pod", ""))] = s.value
        elif kind == "pod_memory_bytes" and s.value is not None:
            k.memory_bytes[(lab.get("namespace", ""), lab.get("pod", ""))] = s.value
    k.node.pop(None, None)  # type: ignore[call-overload]
    return k


# -- merging -----------------------------------------------------------------------------
def merge_power(snap: ClusterSnapshot, k: _Kepler) -> None:
    """Attach parsed power and devices to the snapshot's nodes (the rules every power answer shares)."""
    snap.kepler_generation = k.generation
    for d in snap.gpus:
        if _device_node(d) in snap.nodes:
            snap.nodes[_device_node(d)].gpus.append(d)
    for d in snap.npus:
        if _device_node(d) in snap.nodes:
            snap.nodes[_device_node(d)].npus.append(d)
    # Kepler per pod, with the node's pod totals.
    pods_cpu: dict[str, float] = {}
    pods_dram: dict[str, float] = {}
    for key, zones in k.pod.items():
        node = (snap.pods[key].node if key in snap.pods else None) or k.pod_node.get(key, "")
        pods_cpu[node] = pods_cpu.get(node, 0.0) + zones.get("package", 0.0)
        pods_dram[node] = pods_dram.get(node, 0.0) + zones.get("dram", 0.0)
    for name, n in snap.nodes.items():
        n.kepler_generation = k.generation
        parts = k.node.get(name)
        pw = n.power
        if parts is not None and "package_total" in parts:
            pw.cpu_power_watts = parts["package_total"]
            pw.cpu_idle_watts = parts.get("package_idle")
            pw.cpu_pods_watts = pods_cpu.get(name, 0.0)
            if pw.cpu_idle_watts is not None:
                pw.cpu_system_watts = pw.cpu_power_watts - pw.cpu_idle_watts - pw.cpu_pods_watts
            pw.dram_power_watts = parts.get("dram_total")
            pw.dram_idle_watts = parts.get("dram_idle")
            pw.dram_pods_watts = pods_dram.get(name, 0.0)
        up = pw.cpu_power_watts is not None
        # A node whose Kepler is silent has stopped reporting: without device readings its
        # accelerator parts are unknown too, not 0 W.
        pw.gpu_power_watts = nodepower.device_part((_power(d) for d in n.gpus), expected=n.expects("gpu") or not up)
        pw.npu_power_watts = nodepower.device_part((_power(d) for d in n.npus), expected=n.expects("npu") or not up)
        pw.measured_power_watts = k.dcmi.get(name)
        figures = nodepower.combine(
            pw.cpu_power_watts, pw.dram_power_watts, pw.gpu_power_watts, pw.npu_power_watts, pw.measured_power_watts
        )
        pw.components_watts, pw.power_watts, pw.other_watts = figures.components, figures.power, figures.other
    _merge_pods(snap, k)


def _merge_pods(snap: ClusterSnapshot, k: _Kepler) -> None:
    gpu_w: dict[tuple[str, str], float] = {}
    npu_w: dict[tuple[str, str], float] = {}
    silent: set[tuple[str, str]] = set()
    for devices, target, attr in ((snap.gpus, gpu_w, "gpus"), (snap.npus, npu_w, "npus")):
        for d in devices:
            device_id = getattr(d, "uuid", None) or getattr(d, "id", None)
            for alloc in getattr(d, "allocations", []) or []:
                key = (alloc.namespace, alloc.pod)
                pod = snap.pods.get(key)
                if pod is None:
                    continue
                ids = getattr(pod, attr)
                if device_id not in ids:
                    ids.append(device_id)
                if _power(d) is None:
                    silent.add(key)
                else:
                    target[key] = target.get(key, 0.0) + _power(d) * alloc.share
    for key, pod in snap.pods.items():
        pod.cpu_usage_cores = k.cpu_cores.get(key)
        mem = k.memory_bytes.get(key)
        pod.memory_working_set_mb = None if mem is None else mem / MIB
        if pod.phase != "Running":
            # Not running: it draws nothing (and has no cgroups).
            pod.cpu_power_watts = pod.dram_power_watts = pod.gpu_power_watts = pod.npu_power_watts = 0.0
            pod.power_watts = 0.0
            continue
        node = snap.nodes.get(pod.node or "")
        if node is None or node.power.cpu_power_watts is None:
            continue  # running on a node that reports nothing: unknown
        zones = k.pod.get(key)
        if zones is not None:
            pod.cpu_power_watts = zones.get("package")
            pod.dram_power_watts = zones.get("dram")
        pod.gpu_power_watts = None if key in silent else gpu_w.get(key, 0.0)
        pod.npu_power_watts = None if key in silent else npu_w.get(key, 0.0)
        parts = (pod.cpu_power_watts, pod.dram_power_watts, pod.gpu_power_watts, pod.npu_power_watts)
        pod.power_watts = None if any(v is None for v in parts) else sum(parts)  # type: ignore[arg-type]
        for attr in ("gpus", "npus"):
            getattr(pod, attr).sort()


def fetch_snapshot(client: Any, cluster: Any, at: float) -> ClusterSnapshot:
    """Nodes and pods of one cluster with their power at ``at`` (runs in a fan-out worker)."""
    snap = ClusterSnapshot(cluster=cluster.name, at=at)
    # The device queries run beside the snapshot query (the client's session is
    # thread-safe and nothing here touches the database): the cluster costs its
    # slowest request, not the sum of them.
    pending = beside(fetch_devices, client, cluster, at)
    answer = cached_query(client, queries.snapshot(cluster.scope), LIVE, time=at)
    inventory = pending.result()
    snap.gpus, snap.npus = list(inventory.gpus), list(inventory.npus)
    snap.tally.merge(inventory.tally)  # devices that could not be placed are this answer's too
    snap.placement = P.Placement.from_samples(answer.samples)
    _parse_inventory(snap, answer.samples)
    merge_power(snap, parse_power(answer.samples, snap.placement, snap.tally))
    return snap

"""One cluster as a graph: nodes → accelerators (→ MIG instances / NPU partitions) → pods.

Built from the infrastructure snapshot (:func:`infrastructure.services.common.snapshot_of`:
kube-state-metrics, Kepler/DCMI power and the accelerators' devices at one aligned
instant), so a topology costs the same four PromQL requests per cluster as the
node and pod lists, and shares their cached answer.

Vertices (``kind``):

* ``node``: a Kubernetes node; ``power_watts`` is its IT power (DCMI wall power
  where the BMC measures it, else CPU + DRAM + GPU + NPU);
* ``gpu`` / ``npu``: one *physical* device (MIG rows and NPU partition rows are
  already de-duplicated by the accelerators merge); ``power_watts`` is what the
  exporter reports for the device;
* ``mig`` / ``partition``: a MIG GPU instance or a Furiosa partition, a child of its
  physical device; its ``power_watts`` is the device's power x ``power_share``
  (compute slices / 7, cores / card cores). It is a *part of* its parent's power,
  never added to it: the ``totals`` count physical devices only;
* ``pod``: a pod that is not finished (Succeeded/Failed pods draw nothing and
  hold no device); ``power_watts`` is its attributed power (CPU + DRAM from
  Kepler, plus its devices' power x allocation share).

Edges: ``hosts`` (node → device, node → pod), ``contains`` (device → MIG
instance / partition) and ``allocated_to`` (device or slice → the pod holding it,
with its power ``share``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infrastructure.services.snapshot import ClusterSnapshot, Node, Pod

FINISHED_PHASES = ("Succeeded", "Failed")
KINDS = ("node", "gpu", "mig", "npu", "partition", "pod")
EDGE_KINDS = ("hosts", "contains", "allocated_to")


@dataclass
class Vertex:
    """One vertex of the topology graph (fields that do not apply to its kind stay None)."""

    id: str
    kind: str
    label: str
    parent: str | None = None
    name: str | None = None
    namespace: str | None = None
    node: str | None = None
    vendor: str | None = None
    model: str | None = None
    index: int | None = None
    status: str | None = None
    utilization_percent: float | None = None
    temperature_celsius: float | None = None
    power_watts: float | None = None
    power_share: float | None = None
    profile: str | None = None
    cores: str | None = None


@dataclass
class Edge:
    """A directed edge: ``hosts``, ``contains`` or ``allocated_to`` (with the pod's power ``share``)."""

    source: str
    target: str
    kind: str
    share: float | None = None


@dataclass
class Topology:
    """The graph of one cluster at ``at`` (unix seconds)."""

    cluster: str
    at: float
    vertices: list[Vertex] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        """Vertex counts per kind and power per level, each physical thing counted once."""

        def known(kind: str) -> float | None:
            values = [v.power_watts for v in self.vertices if v.kind == kind and v.power_watts is not None]
            return sum(values) if values else None

        counts = {kind: sum(1 for v in self.vertices if v.kind == kind) for kind in KINDS}
        return {
            "counts": counts,
            "edges": len(self.edges),
            "nodes_power_watts": known("node"),
            "gpu_power_watts": known("gpu"),
            "npu_power_watts": known("npu"),
            "pods_power_watts": known("pod"),
        }


def node_id(name: str) -> str:
    return f"node:{name}"


def pod_id(namespace: str, name: str) -> str:
    return f"pod:{namespace}/{name}"


def gpu_id(uuid: str) -> str:
    return f"gpu:{uuid}"


def npu_id(card: str) -> str:
    return f"npu:{card}"


def mig_id(uuid: str, instance: Any) -> str:
    return f"mig:{uuid}/{instance}"


def partition_id(card: str, cores: str) -> str:
    return f"partition:{card}/{cores}"


def _node_vertex(n: Node) -> Vertex:
    return Vertex(
        id=node_id(n.name),
        kind="node",
        label=n.name,
        name=n.name,
        node=n.name,
        status=n.status,
        power_watts=n.power.power_watts,
    )


def _pod_vertex(p: Pod) -> Vertex:
    return Vertex(
        id=pod_id(p.namespace, p.name),
        kind="pod",
        label=f"{p.namespace}/{p.name}",
        parent=node_id(p.node) if p.node else None,
        name=p.name,
        namespace=p.namespace,
        node=p.node,
        status=p.phase,
        power_watts=p.power_watts,
    )


def _slice_status(device_status: str, pod: str | None) -> str:
    """A MIG instance / partition has no utilisation of its own: allocation decides, as for MIG GPUs."""
    if device_status == "unavailable":
        return "unavailable"
    return "active" if pod else "idle"


def _device(graph: Topology, d: Any, **fields: Any) -> Vertex:
    """A GPU or NPU vertex under its node (``fields``: id, kind, label, name, model)."""
    vertex = Vertex(
        parent=node_id(d.node),
        node=d.node,
        vendor=d.vendor,
        index=d.index,
        status=d.status,
        utilization_percent=d.utilization_percent,
        temperature_celsius=d.temperature_celsius,
        power_watts=d.power_watts,
        **fields,
    )
    graph.vertices.append(vertex)
    graph.edges.append(Edge(vertex.parent, vertex.id, "hosts"))
    return vertex


def _slice(graph: Topology, device: Vertex, part: Any, **fields: Any) -> None:
    """A MIG instance or NPU partition (``part``: its pod, power and share) inside its device's vertex."""
    graph.vertices.append(
        Vertex(
            parent=device.id,
            node=device.node,
            vendor=device.vendor,
            model=device.model,
            status=_slice_status(device.status, part.pod),
            power_watts=part.power_watts,
            power_share=part.power_share,
            **fields,
        )
    )
    graph.edges.append(Edge(device.id, fields["id"], "contains"))


def _allocations(graph: Topology, allocations: list, source_of: Any, pods: set[str]) -> None:
    """``allocated_to`` edges from the device (or the slice a pod holds) to the pods shown."""
    for a in allocations:
        target = pod_id(a.namespace, a.pod)
        if target in pods:
            graph.edges.append(Edge(source_of(a), target, "allocated_to", a.share))


def _gpu(graph: Topology, g: Any, pods: set[str]) -> None:
    label = f"GPU {g.index}" if g.index is not None else g.uuid
    gpu = _device(graph, g, id=gpu_id(g.uuid), kind="gpu", label=label, name=g.uuid, model=g.model_name)
    instances = {}
    for inst in g.mig_instances:
        mid = instances[str(inst.gpu_instance_id)] = mig_id(g.uuid, inst.gpu_instance_id)
        label = f"MIG {inst.gpu_instance_id} {inst.profile or ''}".strip()
        _slice(graph, gpu, inst, id=mid, kind="mig", label=label, name=str(inst.gpu_instance_id), profile=inst.profile)

    def source(a) -> str:
        return instances.get(str(a.gpu_instance_id), gpu.id) if a.gpu_instance_id is not None else gpu.id

    _allocations(graph, g.allocations, source, pods)


def _npu(graph: Topology, x: Any, pods: set[str]) -> None:
    label = f"NPU {x.index}" if x.index is not None else x.id
    npu = _device(graph, x, id=npu_id(x.id), kind="npu", label=label, name=x.id, model=x.model)
    partitions = {}
    for part in x.partitions:
        pid = partitions[part.cores] = partition_id(x.id, part.cores)
        label = f"cores {part.cores}"
        _slice(graph, npu, part, id=pid, kind="partition", label=label, name=part.cores, cores=part.cores)

    def source(a) -> str:
        return partitions.get(a.cores, npu.id) if a.cores else npu.id

    _allocations(graph, x.allocations, source, pods)


def build(snap: ClusterSnapshot, node: str | None = None) -> Topology:
    """The graph of a snapshot, or of one of its nodes (``node``: the caller checked it exists).

    Devices on a node kube-state-metrics does not know are left out (no vertex to hang
    them on), as are finished pods; pods without a node have no ``hosts`` edge.
    """
    graph = Topology(cluster=snap.cluster, at=snap.at)
    names = [node] if node is not None else sorted(snap.nodes)
    for name in names:
        graph.vertices.append(_node_vertex(snap.nodes[name]))
    pods = sorted(
        (p for p in snap.pods.values() if p.phase not in FINISHED_PHASES and (node is None or p.node == node)),
        key=lambda p: (p.node or "", p.namespace, p.name),
    )
    pod_ids = set()
    for p in pods:
        vertex = _pod_vertex(p)
        pod_ids.add(vertex.id)
        graph.vertices.append(vertex)
        if p.node not in snap.nodes:
            vertex.parent = None  # a node kube-state-metrics does not list: nothing to hang it on
        else:
            graph.edges.append(Edge(node_id(p.node), vertex.id, "hosts"))
    for name in names:
        n = snap.nodes[name]
        for g in sorted(n.gpus, key=lambda d: (d.index is None, d.index, d.uuid)):
            _gpu(graph, g, pod_ids)
        for x in sorted(n.npus, key=lambda d: (d.index is None, d.index, d.id)):
            _npu(graph, x, pod_ids)
    return graph

"""Where a series is: the Kubernetes node, the pod holding a device, the pod of a container.

One :class:`Placement` per cluster and instant, built from kube-state-metrics
(``kube_node_info{node,internal_ip}``, ``kube_pod_info{namespace,pod,uid,node,
host_ip,pod_ip}``). Every service asks it; none reads ``instance``,
``Hostname``, ``exported_*`` or ``node_name`` itself (a test greps for it).

A series' node, first rule that gives a node of the cluster wins:

1. ``label``: a relabelled node label (``node``, ``kubernetes_node``, ...), then
   the exporter's own host label (dcgm ``Hostname``, NPU ``hostname``, Kepler
   0.7's ``exported_instance``), then ``instance`` when it is a node name (with or
   without a port). Exporter host labels are only believed when they name a node
   kube-state-metrics knows: dcgm's may hold ``nvidia-dcgm``, ``localhost`` or the
   exporter pod's name.
2. ``address``: the host of ``instance`` (``10.0.3.7:9100``, ``[fd00::7]:9100``) is
   a node's internal IP, or the IP of a pod (the exporter's) on a node.
3. ``exporter_pod``: the scrape target's ``namespace``/``pod`` is a pod on a node.
4. ``workload_pod`` (Kepler 0.7 containers, which carry no node at all): the
   container's pod, placed by kube-state-metrics.

Nothing else: a series none of these places is *unplaced* and reported, never
put on a node made up from an address. Without kube-state-metrics (no node
known) relabelled and exporter host labels are taken as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clusters.placement import labels as L

LABEL, ADDRESS, EXPORTER_POD, WORKLOAD_POD = "label", "address", "exporter_pod", "workload_pod"
RULES = (LABEL, ADDRESS, EXPORTER_POD, WORKLOAD_POD)
NODE_TAG, POD_TAG, CAPACITY_TAG = "placement_node", "placement_pod", "placement_capacity"
# Extended resources of accelerators as kube-state-metrics sanitises them: whole GPUs and
# MIG slices (nvidia.com/mig-1g.10gb), Furiosa cards and partitions, Rebellions cards.
GPU_RESOURCE = re.compile(r"^nvidia_com_(gpu|mig_.+)$")
NPU_RESOURCE = re.compile(r"^(furiosa_ai|rebellions_ai)_.+$")
_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\](:\d+)?$")


def address_host(instance: str | None) -> str:
    """The host of a scrape address: ``10.0.3.7:9100`` → ``10.0.3.7``, ``[fd00::7]:9100`` → ``fd00::7``.

    A bare IPv6 address (several colons, no brackets) and a name without a port are kept whole.
    """
    value = (instance or "").strip()
    bracketed = _BRACKETED.match(value)
    if bracketed:
        return bracketed.group("host")
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


@dataclass(frozen=True, slots=True)
class PodRef:
    """A pod as kube-state-metrics describes it."""

    namespace: str
    name: str
    uid: str | None
    node: str | None
    pod_ip: str | None
    host_ip: str | None


@dataclass(frozen=True, slots=True)
class Where:
    """The node of a series and the rule that found it (``node`` None: unplaced)."""

    node: str | None
    rule: str | None


@dataclass(frozen=True, slots=True)
class Workload:
    """The pod a device (or MIG instance, NPU partition) is allocated to."""

    namespace: str
    pod: str
    container: str | None


UNPLACED = Where(None, None)


def accelerator_kind(resource: str) -> str | None:
    """``gpu`` / ``npu`` for an accelerator resource name, else None."""
    if GPU_RESOURCE.match(resource):
        return "gpu"
    if NPU_RESOURCE.match(resource):
        return "npu"
    return None


def ksm_pod(labels: Mapping[str, str]) -> tuple[str, str]:
    """``(namespace, pod)`` of a kube-state-metrics pod series (``exported_*`` when scraped without honour)."""
    if labels.get("exported_pod"):
        return labels.get("exported_namespace", ""), labels["exported_pod"]
    return labels.get("namespace", ""), labels.get("pod", "")


def ksm_node(labels: Mapping[str, str]) -> str | None:
    """The ``node`` of a kube-state-metrics series (None for an unscheduled pod)."""
    return labels.get("exported_node") or labels.get("node") or None


@dataclass
class Placement:
    """The placement model of one cluster at one instant (immutable once built; shared read-only)."""

    node_ips: dict[str, str] = field(default_factory=dict)  # internal IP -> node
    pods: dict[tuple[str, str], PodRef] = field(default_factory=dict)
    pod_ips: dict[str, str] = field(default_factory=dict)  # pod IP (not host network) -> node
    uids: dict[str, tuple[str, str]] = field(default_factory=dict)
    nodes: frozenset[str] = frozenset()
    expected: dict[str, frozenset[str]] = field(default_factory=dict)  # node -> {"gpu", "npu"}

    @classmethod
    def build(
        cls,
        nodes: Mapping[str, str | None],
        pods: Iterable[PodRef],
        capacity: Mapping[str, Iterable[str]] | None = None,
    ) -> Placement:
        """From kube-state-metrics' nodes (name → internal IP), pods, and accelerator resources per node."""
        out = cls(nodes=frozenset(n for n in nodes if n))
        for node, resources in (capacity or {}).items():
            kinds = frozenset(k for k in map(accelerator_kind, resources) if k)
            if kinds:
                out.expected[node] = kinds
        for name, ip in nodes.items():
            if name and ip:
                out.node_ips[ip] = name
        for pod in pods:
            out.pods[(pod.namespace, pod.name)] = pod
            if pod.uid:
                out.uids[pod.uid] = (pod.namespace, pod.name)
            if pod.node and pod.pod_ip and pod.pod_ip != pod.host_ip:
                out.pod_ips[pod.pod_ip] = pod.node
            if pod.node and pod.host_ip:
                out.node_ips.setdefault(pod.host_ip, pod.node)
        return out

    @classmethod
    def from_samples(cls, samples: Iterable) -> Placement:
        """From query samples: ``kube_node_info``/``kube_pod_info`` rows, raw or tagged by :mod:`.queries`."""
        nodes: dict[str, str | None] = {}
        pods: list[PodRef] = []
        capacity: dict[str, list[str]] = {}
        for s in samples:
            lab = s.labels
            kind = lab.get("kcloud_part") or lab.get("__name__")
            if kind in (CAPACITY_TAG, "kube_node_status_capacity") and ksm_node(lab) and (s.value or 0) > 0:
                capacity.setdefault(ksm_node(lab), []).append(lab.get("resource", ""))  # type: ignore[arg-type]
            elif kind in (NODE_TAG, "kube_node_info") and ksm_node(lab):
                nodes[ksm_node(lab)] = lab.get("internal_ip") or nodes.get(ksm_node(lab))  # type: ignore[index]
            elif kind in (POD_TAG, "kube_pod_info") and ksm_pod(lab)[1]:
                namespace, name = ksm_pod(lab)
                pods.append(
                    PodRef(
                        namespace=namespace,
                        name=name,
                        uid=lab.get("uid") or None,
                        node=ksm_node(lab),
                        pod_ip=lab.get("pod_ip") or None,
                        host_ip=lab.get("host_ip") or None,
                    )
                )
        return cls.build(nodes, pods, capacity)

    # -- nodes -------------------------------------------------------------------------
    def _known(self, value: str | None) -> bool:
        return bool(value) and (value in self.nodes or not self.nodes)

    def node(self, labels: Mapping[str, str], source: str) -> Where:
        """The node ``labels`` (a series of ``source``) is on, by the rules of the module docstring."""
        for name in L.RELABELLED_NODE:
            if self._known(labels.get(name)):
                return Where(labels[name], LABEL)
        for name in L.EXPORTER_NODE.get(source, ()):
            if self._known(labels.get(name)):
                return Where(labels[name], LABEL)
        host = address_host(labels.get(L.INSTANCE))
        if host and host in self.nodes:
            return Where(host, LABEL)
        if host in self.node_ips:
            return Where(self.node_ips[host], ADDRESS)
        if host in self.pod_ips:
            return Where(self.pod_ips[host], ADDRESS)
        target = self.pods.get((labels.get("namespace", ""), labels.get("pod", "")))
        if target is not None and target.node:
            return Where(target.node, EXPORTER_POD)
        return UNPLACED

    def expects(self, node: str, kind: str) -> bool:
        """Whether ``node`` has ``gpu``/``npu`` capacity (so silent devices are unknown, not 0 W)."""
        return kind in self.expected.get(node, ())

    def pod_node(self, namespace: str, pod: str) -> str | None:
        """The node kube-state-metrics schedules ``namespace/pod`` on (None: unknown or unscheduled)."""
        ref = self.pods.get((namespace, pod))
        return None if ref is None else ref.node

    def container_node(self, labels: Mapping[str, str], namespace: str, pod: str) -> Where:
        """A Kepler container series: its scrape target's node, else the pod's own placement."""
        where = self.node(labels, L.KEPLER)
        if where.node is not None:
            return where
        node = self.pod_node(namespace, pod)
        return Where(node, WORKLOAD_POD) if node else UNPLACED

    def pod_of_uid(self, uid: str | None) -> tuple[str, str] | None:
        """``(namespace, pod)`` of a pod UID (Kepler 0.10's ``pod_id``)."""
        return self.uids.get(uid or "")

    # -- workloads -----------------------------------------------------------------------
    def workload(self, labels: Mapping[str, str]) -> Workload | None:
        """The pod a device series is allocated to, or None (idle).

        ``exported_*`` names the workload when the scrape did not honour labels; then
        ``namespace``/``pod`` name the exporter. With honoured labels an allocated
        device's own ``namespace``/``pod`` win, but an idle one still carries the
        scrape target's: those name the exporter when that pod's IP is the scrape
        address (it is the target itself), so an idle device never looks allocated.
        """
        for ns_label, pod_label, container_label in L.WORKLOAD:
            namespace, pod = labels.get(ns_label), labels.get(pod_label)
            if not namespace or not pod:
                continue
            if (ns_label, pod_label) == L.TARGET_POD and self._is_scrape_target(labels, namespace, pod):
                return None
            return Workload(namespace, pod, labels.get(container_label) or None)
        return None

    def _is_scrape_target(self, labels: Mapping[str, str], namespace: str, pod: str) -> bool:
        # A host-network exporter's pod IP is the node's: a host-network *workload* holding
        # a device behind a host-network exporter with honoured labels would look idle
        # here. No label tells the two apart; that setup is rare (docs/SCRAPE-SETUPS.md).
        ref = self.pods.get((namespace, pod))
        return ref is not None and bool(ref.pod_ip) and ref.pod_ip == address_host(labels.get(L.INSTANCE))

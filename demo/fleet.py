"""The simulated fleet: clusters, nodes, accelerators, pods and VMs.

``build_fleet(seed, size, epoch)`` is deterministic from its arguments.  All
time functions take absolute unix seconds.  ``Fleet.render(target, t)`` returns
the text a real exporter would serve at ``t`` (or ``None`` when the target is
down); :mod:`demo.truth` gives the values the API must report.

Modelled quirks (see ``layout.py`` for where they are placed):

* **MIG**: one H100 (cluster 0, node 0, GPU 0) runs three GPU instances
  (3g.40gb -> pod, 2g.20gb -> another pod, 1g.10gb free).  Its device-level
  series repeat once per ``GPU_I_ID``; power is per physical GPU only, so the
  truth attributes it to instances by compute slices (see ``truth.py``).
* **Furiosa partition**: the first RNGD card of the first Furiosa node is split
  into two 4-core partitions held by two pods; device-wise series are emitted for
  the whole card (``core="0-7"``) and again per partition.
* **Counter reset**: one GPU's driver reloads at ``Fleet.reset_at``
  (``epoch + 10 h + 17 s``); its energy counter restarts from 0.
* **Stopped node**: ``Fleet.stopped`` names one node whose per-node targets
  render ``None`` from ``stopped_at`` on.  By default ``stopped_at = epoch +
  24 h - 20 min`` (20 minutes before the end of the default history), or pass
  ``build_fleet(stop_at=...)`` / call :meth:`Fleet.stop_node_at`.

How each cluster's Prometheus *stores* these targets (addresses, pod labels,
label honour, HA replicas) is its scrape profile, ``build_fleet(profiles=...)``
(see ``profiles.py``); profiles change labels only, never values or the truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from demo.catalog import GpuModel, NpuModel
from demo.physics import Schedule

if TYPE_CHECKING:
    from demo.profiles import ProfilesSpec, Scrape, ScrapeProfile

HISTORY_SECONDS = 24 * 3600
STOP_BEFORE_END_SECONDS = 20 * 60
RESET_AFTER_EPOCH_SECONDS = 10 * 3600 + 17


@dataclass(frozen=True)
class FleetSize:
    """How big a fleet is: clusters x nodes per cluster x accelerators per node."""

    clusters: int
    nodes_per_cluster: int
    gpus_per_node: int


SIZES: dict[str, FleetSize] = {
    "test": FleetSize(3, 3, 4),
    "small": FleetSize(3, 4, 8),
    "large": FleetSize(10, 100, 8),
    # 1,032 GPUs and 152 NPUs over 4 clusters: the placement benchmark's fleet (bench/infrastructure.py).
    "bench": FleetSize(4, 37, 8),
}


@dataclass(frozen=True)
class Target:
    """One scrape target, as Prometheus would see it.

    ``instance`` is the ``node-names`` address (``<node>:<port>``); what a
    cluster's Prometheus stores depends on its scrape profile (`Fleet.scrapes`).
    """

    cluster: str
    job: str
    instance: str
    exporter: str
    node: str | None
    path: str  # "/metrics/<cluster>/<exporter>/<node or 'cluster'>"


@dataclass
class SimContainer:
    """A container of a pod (resources, image, CPU share of the pod's power)."""

    name: str
    image: str
    image_id: str
    container_id: str  # 64 hex, runtime prefix added where an exporter shows one
    share: float  # fraction of the pod's CPU/DRAM power and CPU time
    memory_bytes: int
    requests: dict[str, float] = field(default_factory=dict)  # KSM resource name -> amount
    limits: dict[str, float] = field(default_factory=dict)


@dataclass
class SimPod:
    """A Kubernetes pod.  Only ``Running`` pods draw power; the others appear in KSM only."""

    name: str
    namespace: str
    uid: str
    node: str | None
    phase: str  # Pending | Running | Succeeded | Failed
    containers: list[SimContainer]
    owner_kind: str
    owner_name: str
    created_at: float
    started_at: float | None
    ip: str
    host_ip: str
    priority_class: str = ""
    cpu: Schedule | None = None  # package watts attributed to the pod
    dram: Schedule | None = None
    rx_bytes_per_s: float = 0.0
    tx_bytes_per_s: float = 0.0
    system: bool = False  # infrastructure pods (kube-proxy, exporters)

    @property
    def running(self) -> bool:
        """True when the pod is scheduled and running (draws power, has cgroups)."""
        return self.phase == "Running"


@dataclass
class MigInstance:
    """One MIG GPU instance."""

    gi_id: int
    profile: str
    slices: int
    memory_mib: int
    pod: SimPod | None
    container: str
    fb_used_mib: int
    activity: float | None  # constant GR engine activity, or None = follows the GPU's phase


@dataclass
class SimGpu:
    """One physical NVIDIA GPU."""

    cluster: str
    node: str
    index: int
    uuid: str
    pci_bus_id: str
    model: GpuModel
    driver_version: str
    power: Schedule
    driver_loaded_at: float
    pod: SimPod | None = None
    container: str = ""
    fb_used_mib: int = 0
    xid: int = 0
    reset_at: float | None = None
    mig: list[MigInstance] = field(default_factory=list)

    def counter_origin(self, t: float) -> float:
        """When the energy counter visible at ``t`` started (driver load or reload)."""
        if self.reset_at is not None and t >= self.reset_at:
            return self.reset_at
        return self.driver_loaded_at

    def energy_mj(self, t: float) -> int:
        """``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION`` at ``t`` (int64 millijoules since driver load)."""
        return math.floor(self.power.integral(self.counter_origin(t), t) * 1000.0)


@dataclass
class NpuPartition:
    """A slice of an NPU card held by one pod (Furiosa partitions)."""

    cores: str  # "0-3"
    core_ids: tuple[int, ...]
    pod: SimPod
    container: str


@dataclass
class SimNpu:
    """One NPU card (Furiosa RNGD or Rebellions ATOM)."""

    cluster: str
    node: str
    index: int
    uuid: str
    pci_bus_id: str
    model: NpuModel
    driver_version: str
    firmware_version: str
    power: Schedule
    started_at: float
    pod: SimPod | None = None
    container: str = ""
    partitions: list[NpuPartition] = field(default_factory=list)
    memory_used_bytes: int = 0

    @property
    def device(self) -> str:
        """Device name as the exporter labels it (``npu0`` / ``rbln0``)."""
        return f"npu{self.index}" if self.model.vendor == "furiosa" else f"rbln{self.index}"

    @property
    def id(self) -> str:
        """Stable id used by the truth: the card's UUID."""
        return self.uuid


@dataclass
class SimVM:
    """A libvirt domain / OpenStack server on a node of the VM cluster."""

    domain: str
    uuid: str
    name: str
    node: str
    vcpus: int
    memory_bytes: int
    status: str  # ACTIVE | SHUTOFF
    cpu_util: float  # busy fraction of its vCPUs
    flavor: str
    project_id: str
    project_name: str
    user_id: str
    started_at: float


@dataclass
class SimNode:
    """A server: its accelerators, the pods on it, and its non-accelerator power parts."""

    cluster: str
    name: str
    index: int
    kind: str  # gpu | furiosa | rebellions
    ip: str
    system_uuid: str
    boot_at: float
    cpu_cores: int
    memory_bytes: int
    cpu_idle_watts: float
    dram_idle_watts: float
    system_cpu: Schedule  # non-pod processes (kubelet, containerd, qemu for VMs)
    system_dram: Schedule
    other_watts: float  # fans, NICs, disks, board: only the wall meter sees it
    psu_loss: float  # fraction of IT power lost in the PSUs
    has_dcmi: bool
    gpus: list[SimGpu] = field(default_factory=list)
    npus: list[SimNpu] = field(default_factory=list)
    pods: list[SimPod] = field(default_factory=list)  # running pods on this node
    vms: list[SimVM] = field(default_factory=list)
    ipmi_quirks: frozenset[str] = frozenset()
    stopped_at: float | None = None

    def up(self, t: float) -> bool:
        """False once the node has stopped reporting."""
        return self.stopped_at is None or t < self.stopped_at

    def pods_cpu(self, t: float) -> float:
        """Package watts attributed to pods."""
        return sum(p.cpu.value(t) for p in self.pods if p.cpu is not None)

    def pods_dram(self, t: float) -> float:
        """DRAM watts attributed to pods."""
        return sum(p.dram.value(t) for p in self.pods if p.dram is not None)

    def cpu_power(self, t: float) -> float:
        """RAPL package power: idle + pods + non-pod processes."""
        return self.cpu_idle_watts + self.pods_cpu(t) + self.system_cpu.value(t)

    def dram_power(self, t: float) -> float:
        """RAPL DRAM power: idle + pods + non-pod processes."""
        return self.dram_idle_watts + self.pods_dram(t) + self.system_dram.value(t)

    def gpu_power(self, t: float) -> float:
        """Sum of the GPUs' power."""
        return sum(g.power.value(t) for g in self.gpus)

    def npu_power(self, t: float) -> float:
        """Sum of the NPUs' power."""
        return sum(n.power.value(t) for n in self.npus)

    def it_power(self, t: float) -> float:
        """CPU + DRAM + accelerators (what the software meters see)."""
        return self.cpu_power(t) + self.dram_power(t) + self.gpu_power(t) + self.npu_power(t)

    def wall_power(self, t: float) -> float:
        """Exact wall power: IT parts plus PSU loss plus fans/other."""
        return self.other_watts + (1.0 + self.psu_loss) * self.it_power(t)

    def dcmi_watts(self, t: float) -> int | None:
        """``ipmi_dcmi_power_consumption_watts`` (DCMI reports whole watts), or None without DCMI."""
        return round(self.wall_power(t)) if self.has_dcmi else None

    def schedules(self) -> dict[str, list[tuple[float, Schedule]]]:
        """Linear pieces of each power part, for exact integration (constants excluded)."""
        return {
            "cpu": [(1.0, p.cpu) for p in self.pods if p.cpu is not None] + [(1.0, self.system_cpu)],
            "dram": [(1.0, p.dram) for p in self.pods if p.dram is not None] + [(1.0, self.system_dram)],
            "gpu": [(1.0, g.power) for g in self.gpus],
            "npu": [(1.0, n.power) for n in self.npus],
        }


@dataclass
class SimCluster:
    """One Kubernetes cluster with its own Prometheus."""

    name: str
    index: int
    kepler_generation: str  # "0.7" | "0.10"
    rbln_naming: str  # "legacy" | "new"
    dcgm_hostname_label: str  # "Hostname" | "hostname"
    scrape_interval_seconds: int
    container_runtime: str = "containerd"  # "containerd" | "docker" (dockershim-era kubelet)
    nodes: list[SimNode] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    pods: list[SimPod] = field(default_factory=list)  # every pod, any phase
    vms: list[SimVM] = field(default_factory=list)

    def node(self, name: str) -> SimNode:
        """Node by name (KeyError if unknown)."""
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


PER_NODE_PORTS = {
    "dcgm": ("dcgm-exporter", 9400),
    "kepler": ("kepler", 9102),
    "ipmi": ("ipmi-exporter", 9290),
    "furiosa": ("furiosa-metrics-exporter", 6254),
    "rebellions": ("rbln-metrics-exporter", 9090),
    "cadvisor": ("kubelet", 10250),
    "node_exporter": ("node-exporter", 9100),
    "libvirt": ("libvirt-exporter", 9177),
}
CLUSTER_TARGETS = {
    "ksm": ("kube-state-metrics", "kube-state-metrics.kube-system.svc:8080"),
    "openstack": ("openstack-exporter", "openstack-exporter.openstack.svc:9180"),
}


class Fleet:
    """The whole simulated fleet plus the rendering entry points."""

    def __init__(
        self,
        seed: int,
        size: FleetSize,
        epoch: float,
        clusters: list[SimCluster],
        profiles: ProfilesSpec = None,
    ) -> None:
        self.seed = seed
        self.size = size
        self.epoch = epoch
        self.clusters = clusters
        self.reset_at: float | None = None
        self.reset_gpu: str | None = None  # UUID
        self.stopped: tuple[str, str] | None = None  # (cluster, node)
        self._static: dict[str, object] = {}  # per-target cached label strings
        self._targets: dict[str | None, list[Target]] = {}
        self._scrapes: dict[str, tuple[Scrape, ...]] = {}
        self._index()
        self.set_profiles(profiles)

    # -- lookups ---------------------------------------------------------
    def _index(self) -> None:
        self.gpus = {g.uuid: g for c in self.clusters for n in c.nodes for g in n.gpus}
        self.npus = {x.uuid: x for c in self.clusters for n in c.nodes for x in n.npus}
        self.nodes = {(c.name, n.name): n for c in self.clusters for n in c.nodes}
        self.pods = {(c.name, p.namespace, p.name): p for c in self.clusters for p in c.pods}

    def cluster(self, name: str) -> SimCluster:
        """Cluster by name (KeyError if unknown)."""
        for c in self.clusters:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def stopped_at(self) -> float | None:
        """When the stopped node stopped reporting."""
        if self.stopped is None:
            return None
        return self.nodes[self.stopped].stopped_at

    def stop_node_at(self, cluster: str, node: str, t: float | None) -> None:
        """Make ``node`` stop reporting from ``t`` on (None: never); replaces the previous choice."""
        for n in self.nodes.values():
            n.stopped_at = None
        self.nodes[(cluster, node)].stopped_at = t
        self.stopped = (cluster, node) if t is not None else None

    # -- scraping --------------------------------------------------------
    def targets(self, cluster: str | None = None) -> list[Target]:
        """What Prometheus scrapes, per node for per-node exporters and once per cluster for KSM/OpenStack."""
        if cluster not in self._targets:
            out: list[Target] = []
            for c in self.clusters:
                if cluster is not None and c.name != cluster:
                    continue
                for n in c.nodes:
                    exporters = ["kepler", "ipmi", "cadvisor", "node_exporter"]
                    if n.gpus:
                        exporters.insert(0, "dcgm")
                    if n.kind == "furiosa":
                        exporters.insert(0, "furiosa")
                    if n.kind == "rebellions":
                        exporters.insert(0, "rebellions")
                    if n.vms:
                        exporters.append("libvirt")
                    for e in exporters:
                        job, port = PER_NODE_PORTS[e]
                        out.append(
                            Target(c.name, job, f"{n.name}:{port}", e, n.name, f"/metrics/{c.name}/{e}/{n.name}")
                        )
                cluster_exporters = ["ksm"] + (["openstack"] if c.vms else [])
                for e in cluster_exporters:
                    job, instance = CLUSTER_TARGETS[e]
                    out.append(Target(c.name, job, instance, e, None, f"/metrics/{c.name}/{e}/cluster"))
            self._targets[cluster] = out
        return list(self._targets[cluster])

    def target_by_path(self, path: str) -> Target | None:
        """The target served at ``path`` (for the live server)."""
        for tg in self.targets():
            if tg.path == path:
                return tg
        return None

    # -- how Prometheus stores it (scrape profiles) ----------------------
    def set_profiles(self, profiles: ProfilesSpec) -> None:
        """Choose each cluster's scrape profile (see `demo.profiles.resolve_profiles` for `profiles`).

        Rendering caches hold profile-dependent labels (dcgm ``Hostname``), so
        they are dropped. The truth does not depend on profiles.
        """
        from demo.profiles import resolve_profiles

        self.profiles: dict[str, ScrapeProfile] = resolve_profiles(profiles, [c.name for c in self.clusters])
        self._static.clear()
        self._scrapes.clear()

    def profile(self, cluster: str) -> ScrapeProfile:
        """The scrape profile of cluster `cluster` (KeyError if unknown)."""
        return self.profiles[cluster]

    def scrapes(self, target: Target) -> tuple[Scrape, ...]:
        """How Prometheus stores `target`: target labels and label honour, one entry per scrape config."""
        found = self._scrapes.get(target.path)
        if found is None:
            found = self._scrapes[target.path] = self.profile(target.cluster).scrapes(self, target)
        return found

    def honor_labels(self, target: Target) -> bool:
        """Whether `target`'s scrape honours the exporter's labels (per its cluster's profile).

        False everywhere with the default ``node-names`` profile, so Kepler
        0.7's node ``instance`` label becomes ``exported_instance``.
        """
        return self.scrapes(target)[0].honor_labels

    def render(self, target: Target, t: float) -> str | None:
        """Text exposition the real exporter would serve at ``t``; None when the target is down."""
        from demo.exporters import RENDERERS

        c = self.cluster(target.cluster)
        node = c.node(target.node) if target.node is not None else None
        if node is not None and not node.up(t):
            return None
        return RENDERERS[target.exporter](self, c, node, target, t)

    def static(self, key: str, build: Callable[[], Any]) -> Any:
        """Memoise per-target static parts (label strings); ``build()`` runs once per key."""
        v = self._static.get(key)
        if v is None:
            v = build()
            self._static[key] = v
        return v


def default_epoch(now: float) -> float:
    """``now - 24 h`` floored to the hour."""
    return math.floor((now - HISTORY_SECONDS) / 3600.0) * 3600.0


def build_fleet(
    seed: int = 7,
    size: FleetSize | str = "test",
    epoch: float | None = None,
    stop_at: float | None = None,
    profiles: ProfilesSpec = None,
) -> Fleet:
    """Build the fleet deterministically from ``(seed, size, epoch)``.

    ``epoch`` is when the simulated history starts (default: now - 24 h floored
    to the hour).  ``stop_at`` is when the stopped node stops reporting
    (default ``epoch + 24 h - 20 min``).  ``profiles`` chooses how each
    cluster's Prometheus stores the fleet (`demo.profiles`): one profile name
    for every cluster, ``"mixed"``, or ``{cluster: profile}``; default
    ``node-names`` everywhere.  Only labels depend on it, never the physics.
    """
    import time

    from demo.layout import build_clusters

    fs = SIZES[size] if isinstance(size, str) else size
    ep = default_epoch(time.time()) if epoch is None else float(epoch)
    clusters, reset_gpu, stopped = build_clusters(seed, fs, ep)
    fleet = Fleet(seed, fs, ep, clusters, profiles)
    fleet.reset_gpu = reset_gpu
    fleet.reset_at = fleet.gpus[reset_gpu].reset_at if reset_gpu else None
    when = ep + HISTORY_SECONDS - STOP_BEFORE_END_SECONDS if stop_at is None else stop_at
    fleet.stop_node_at(stopped[0], stopped[1], when)
    return fleet

"""Where everything in the fleet goes: deterministic layout from (seed, size, epoch).

Clusters 0-2 of every size carry the issue's required variety (first three nodes):

* ``seoul-a``  - Kepler 0.7, DCGM ``Hostname``, Rebellions legacy names, Kubernetes
  1.23 with dockershim (cAdvisor pause rows ``container="POD"``, cgroupfs paths):
  H100 node with the MIG GPU and an IPMI temperature reading NaN, A100 node with
  the energy-counter reset and a fan in critical state, Rebellions node.
* ``busan-b``  - Kepler 0.10, DCGM ``hostname``, Rebellions new names, VMs:
  H200 node (one GPU with XID 31), L40S node (memory-temperature sentinel), Rebellions node.
* ``daejeon-c`` - Kepler 0.10, DCGM ``Hostname``: Furiosa node with the partitioned
  card, H100 node, A100 node that stops reporting.

Further nodes and clusters follow a repeating pattern.
"""

from __future__ import annotations

import random

from demo import catalog as cat
from demo.fleet import (
    RESET_AFTER_EPOCH_SECONDS,
    FleetSize,
    MigInstance,
    NpuPartition,
    SimCluster,
    SimContainer,
    SimGpu,
    SimNode,
    SimNpu,
    SimPod,
    SimVM,
)
from demo.physics import IDLE, Schedule, Segment, Shape

FIXED_KINDS = {
    0: (("gpu", "H100"), ("gpu", "A100"), ("rebellions", "")),
    1: (("gpu", "H200"), ("gpu", "L40S"), ("rebellions", "")),
    2: (("furiosa", ""), ("gpu", "H100"), ("gpu", "A100")),
}
GPU_CYCLE = ("H100", "H200", "A100", "L40S")
NPU_BUSES = (0x17, 0x2A, 0x3D, 0x63, 0x99, 0xAB, 0xBD, 0xE3)
SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789"
GiB = 1024**3


def _rng(*parts: object) -> random.Random:
    return random.Random("/".join(str(p) for p in parts))


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _suffix(rng: random.Random, n: int = 5) -> str:
    return "".join(rng.choice(SUFFIX_CHARS) for _ in range(n))


def _flat(rng: random.Random, base: float, period: float = 600.0, ripple: float = 0.2) -> Schedule:
    """A gently rippling constant (system processes, infrastructure pods)."""
    return Schedule((Segment(IDLE, period, base, wiggle=ripple * base, wperiod=period),), offset=rng.uniform(0, period))


def node_kind(ci: int, j: int) -> tuple[str, str]:
    """(kind, gpu model key) of node ``j`` in cluster ``ci``."""
    if ci in FIXED_KINDS and j < 3:
        return FIXED_KINDS[ci][j]
    r = j % 25  # mostly GPU servers; one Furiosa and one Rebellions node in 25
    if r == 7:
        return "furiosa", ""
    if r == 8:
        return "rebellions", ""
    return "gpu", GPU_CYCLE[(ci + j) % len(GPU_CYCLE)]


def gpu_schedule(m: cat.GpuModel, shape: Shape | None, k: float, jitter: float) -> Schedule:
    """GPU power following the H200 trace's phases, scaled to the model."""
    idle = m.idle_watts * (1.0 + jitter)
    if shape is None:
        return Schedule.constant(idle)
    rng_w = m.tdp_watts - m.idle_watts
    return shape.schedule(
        compute=min(idle + k * cat.COMPUTE_FRAC * rng_w, m.tdp_watts * 0.985),
        memory=idle + k * cat.MEMORY_FRAC * rng_w,
        rest=idle,
        decay_amp=k * cat.DECAY_FRAC * rng_w,
        decay_tau=cat.DECAY_TAU_S,
        ripple=0.004 * m.tdp_watts,
    )


def npu_schedule(m: cat.NpuModel, shape: Shape | None, k: float, jitter: float) -> Schedule:
    """NPU power: same phase structure, NPU levels (no H200 trace for NPUs)."""
    idle = m.idle_watts * (1.0 + jitter)
    if shape is None:
        return Schedule.constant(idle)
    rng_w = m.tdp_watts - m.idle_watts
    return shape.schedule(
        compute=idle + k * 0.78 * rng_w,
        memory=idle + k * 0.46 * rng_w,
        rest=idle,
        decay_amp=k * 0.05 * rng_w,
        decay_tau=120.0,
        ripple=0.006 * m.tdp_watts,
    )


class _Builder:
    """Stateful helper: counters for names and IPs while laying out one cluster."""

    def __init__(self, seed: int, fs: FleetSize, epoch: float) -> None:
        self.seed, self.fs, self.epoch = seed, fs, epoch
        self.app_counts: dict[str, int] = {}
        self.first_furiosa_done = False

    # -- pods ----------------------------------------------------------------
    def pod(
        self,
        rng: random.Random,
        cluster: SimCluster,
        node: SimNode | None,
        app: tuple[str, str, str, str],
        resources: dict[str, float],
        shape: Shape | None,
        phase: str = "Running",
    ) -> SimPod:
        ns, app_name, owner_kind, image = app
        key = f"{cluster.name}/{app_name}"
        k = self.app_counts.get(key, 0)
        self.app_counts[key] = k + 1
        if owner_kind == "StatefulSet":
            name, owner = f"{app_name}-{k}", app_name
        elif owner_kind == "ReplicaSet":
            owner = f"{app_name}-{_hex(rng, 10)}"
            name = f"{owner}-{_suffix(rng)}"
        else:
            owner = f"{app_name}-{_suffix(rng)}"
            name = owner + f"-{_suffix(rng)}"
        n_acc = max(1.0, sum(v for r, v in resources.items() if r not in ("cpu", "memory")))
        main = SimContainer(
            name=app_name.split("-")[0],
            image=image,
            image_id=f"{image.split(':')[0]}@sha256:{_hex(rng, 64)}",
            container_id=_hex(rng, 64),
            share=1.0,
            memory_bytes=int(rng.uniform(8, 48) * GiB * n_acc**0.5),
            requests={"cpu": 8.0 * n_acc, "memory": 64.0 * GiB * n_acc, **resources},
            limits={"memory": 96.0 * GiB * n_acc, **resources},
        )
        containers = [main]
        if rng.random() < 0.5:
            main.share = 0.9
            containers.append(
                SimContainer(
                    name="log-shipper",
                    image="docker.io/fluent/fluent-bit:3.1.9",
                    image_id=f"docker.io/fluent/fluent-bit@sha256:{_hex(rng, 64)}",
                    container_id=_hex(rng, 64),
                    share=0.1,
                    memory_bytes=int(rng.uniform(60, 180) * 1024**2),
                    requests={"cpu": 0.2, "memory": 256.0 * 1024**2},
                    limits={"memory": 512.0 * 1024**2},
                )
            )
        created = self.epoch - rng.uniform(3600, 3 * 86400)
        pod = SimPod(
            name=name,
            namespace=ns,
            uid=_uuid(rng),
            node=node.name if node is not None and phase != "Pending" else None,
            phase=phase,
            containers=containers,
            owner_kind=owner_kind,
            owner_name=owner,
            created_at=created,
            started_at=None if phase == "Pending" else created + rng.uniform(5, 90),
            ip="" if phase == "Pending" else f"10.244.{node.index if node else 0}.{len(node.pods) + 2 if node else 2}",
            host_ip=node.ip if node is not None and phase != "Pending" else "",
            priority_class="high-priority" if ns == "ml-training" else "",
        )
        if phase == "Running" and node is not None:
            c = rng.uniform(6.0, 12.0) * n_acc**0.5
            d = rng.uniform(2.0, 4.0) * n_acc**0.5
            if shape is None:
                pod.cpu, pod.dram = _flat(rng, c * 0.5), _flat(rng, d * 0.5)
            else:
                pod.cpu = shape.schedule(compute=c, memory=1.1 * c, rest=0.15 * c, ripple=0.05 * c)
                pod.dram = shape.schedule(compute=d, memory=1.8 * d, rest=0.3 * d)
            pod.rx_bytes_per_s = rng.uniform(2e5, 5e7)
            pod.tx_bytes_per_s = rng.uniform(1e5, 2e7)
            node.pods.append(pod)
        cluster.pods.append(pod)
        return pod

    def system_pod(self, rng: random.Random, cluster: SimCluster, node: SimNode, app: str, ns: str, image: str) -> None:
        owner = app
        pod = SimPod(
            name=f"{app}-{_suffix(rng)}",
            namespace=ns,
            uid=_uuid(rng),
            node=node.name,
            phase="Running",
            containers=[
                SimContainer(
                    name=app,
                    image=image,
                    image_id=f"{image.split(':')[0]}@sha256:{_hex(rng, 64)}",
                    container_id=_hex(rng, 64),
                    share=1.0,
                    memory_bytes=int(rng.uniform(40, 400) * 1024**2),
                    requests={"cpu": 0.1, "memory": 128.0 * 1024**2},
                    limits={"memory": 512.0 * 1024**2},
                )
            ],
            owner_kind="DaemonSet",
            owner_name=owner,
            created_at=node.boot_at + 120,
            started_at=node.boot_at + 125,
            ip=node.ip if app == "kube-proxy" else f"10.244.{node.index}.{len(node.pods) + 2}",
            host_ip=node.ip,
            priority_class="system-node-critical" if ns == "kube-system" else "",
            cpu=_flat(rng, rng.uniform(0.4, 2.0), 300.0),
            dram=_flat(rng, rng.uniform(0.05, 0.3), 300.0),
            rx_bytes_per_s=rng.uniform(1e3, 5e4),
            tx_bytes_per_s=rng.uniform(1e3, 5e5),
            system=True,
        )
        node.pods.append(pod)
        cluster.pods.append(pod)

    def shape(self, rng: random.Random) -> tuple[Shape, float]:
        period = rng.uniform(1200, 3600)
        return (
            Shape(
                period=period,
                offset=rng.uniform(0, period),
                compute_frac=rng.uniform(0.35, 0.6),
                memory_frac=rng.uniform(0.08, 0.2),
                ripple_period=rng.uniform(29, 47),
            ),
            rng.uniform(0.8, 1.0),
        )

    # -- nodes ---------------------------------------------------------------
    def node(self, cluster: SimCluster, j: int) -> SimNode:
        ci, n = cluster.index, self.fs.gpus_per_node
        rng = _rng(self.seed, ci, j)
        kind, gpu_key = node_kind(ci, j)
        width = max(2, len(str(self.fs.nodes_per_cluster - 1)))
        label = {"gpu": "gpu", "furiosa": "npu", "rebellions": "npu"}[kind]
        boot = self.epoch - rng.uniform(2, 30) * 86400
        node = SimNode(
            cluster=cluster.name,
            name=f"{cluster.name}-{label}-{j:0{width}d}",
            index=j,
            kind=kind,
            ip=f"10.{ci}.{j // 200}.{j % 200 + 20}",
            system_uuid=_uuid(rng),
            boot_at=boot,
            cpu_cores=112 if kind == "gpu" else 64,
            memory_bytes=(2048 if kind == "gpu" else 1024) * GiB,
            cpu_idle_watts=rng.uniform(95, 125),
            dram_idle_watts=rng.uniform(10, 16),
            system_cpu=_flat(rng, rng.uniform(6, 10)),
            system_dram=_flat(rng, rng.uniform(1.0, 2.0)),
            other_watts=150.0 + 12.0 * n + rng.uniform(0, 40),
            psu_loss=rng.uniform(0.05, 0.07),
            has_dcmi=(ci + j) % 3 != 2,
        )
        quirks = set()
        if ci == 0 and j == 0:
            quirks.add("nan_temp")
        if ci == 0 and j == 1:
            quirks.add("fan_critical")
        node.ipmi_quirks = frozenset(quirks)
        self.system_pod(rng, cluster, node, "kube-proxy", "kube-system", "registry.k8s.io/kube-proxy:v1.30.5")
        kepler_tag = "v0.7.12" if cluster.kepler_generation == "0.7" else "v0.10.0"
        self.system_pod(
            rng, cluster, node, "kepler", "monitoring", f"quay.io/sustainable_computing_io/kepler:{kepler_tag}"
        )
        exporter = {
            "gpu": ("dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-ubuntu22.04"),
            "furiosa": ("furiosa-metrics-exporter", "registry.furiosa.ai/furiosa-metrics-exporter:0.0.17"),
            "rebellions": ("rbln-metrics-exporter", "docker.io/rebellions/rbln-metrics-exporter:v0.2.5"),
        }[kind]
        self.system_pod(rng, cluster, node, exporter[0], "monitoring", exporter[1])
        if kind == "gpu":
            self._gpus(rng, cluster, node, cat.GPU_MODELS[gpu_key])
        else:
            self._npus(rng, cluster, node, cat.RNGD if kind == "furiosa" else cat.ATOM)
        return node

    def _groups(self, rng: random.Random, devices: list[int], j: int) -> tuple[list[list[int]], list[int]]:
        """Split devices into pod allocations and idle devices."""
        n_idle = 1 if j == 0 else rng.choice((0, 0, 1, 2))
        if j % 13 == 12:
            n_idle = len(devices)  # now and then a whole node sits idle
        n_idle = min(n_idle, len(devices))
        busy, idle = devices[: len(devices) - n_idle], devices[len(devices) - n_idle :]
        groups: list[list[int]] = []
        while busy:
            size = rng.choice([s for s in (1, 2, 4, 8) if s <= len(busy)])
            groups.append(busy[:size])
            busy = busy[size:]
        return groups, idle

    def _gpus(self, rng: random.Random, cluster: SimCluster, node: SimNode, m: cat.GpuModel) -> None:
        ci, j = cluster.index, node.index
        driver = cat.DRIVER_VERSIONS[ci % len(cat.DRIVER_VERSIONS)]
        for i in range(self.fs.gpus_per_node):
            node.gpus.append(
                SimGpu(
                    cluster=cluster.name,
                    node=node.name,
                    index=i,
                    uuid="GPU-" + _uuid(rng),
                    pci_bus_id=f"00000000:{cat.GPU_BUSES[i % len(cat.GPU_BUSES)]:02X}:00.0",
                    model=m,
                    driver_version=driver,
                    power=gpu_schedule(m, None, 0.0, rng.uniform(-0.03, 0.03)),
                    driver_loaded_at=node.boot_at + 45.0,
                )
            )
        devices = list(range(len(node.gpus)))
        if ci == 0 and j == 0:
            devices.remove(0)
            self._mig(rng, cluster, node, node.gpus[0])
        if ci == 0 and j == 1 and len(node.gpus) > 1:
            node.gpus[1].reset_at = self.epoch + RESET_AFTER_EPOCH_SECONDS
        if ci == 1 and j == 0 and len(node.gpus) > 2:
            node.gpus[2].xid = 31
        groups, _idle = self._groups(rng, devices, j)
        for group in groups:
            shape, k = self.shape(rng)
            app = cat.APPS[rng.randrange(len(cat.APPS))]
            pod = self.pod(rng, cluster, node, app, {cat.RES_GPU: float(len(group))}, shape)
            for i in group:
                g = node.gpus[i]
                g.pod, g.container = pod, pod.containers[0].name
                g.power = gpu_schedule(m, shape, k, rng.uniform(-0.03, 0.03))
                g.fb_used_mib = int(rng.uniform(0.35, 0.92) * (m.memory_mib - m.reserved_mib))

    def _mig(self, rng: random.Random, cluster: SimCluster, node: SimNode, g: SimGpu) -> None:
        shape, _k = self.shape(rng)
        g.power = gpu_schedule(g.model, shape, 0.6, 0.0)
        for gi_id, profile, slices, mem in cat.MIG_LAYOUT:
            res = "nvidia_com_mig_" + profile.replace(".", "_")
            if gi_id == 1:
                pod = self.pod(
                    rng, cluster, node, cat.APPS[3], {res: 1.0}, shape
                )  # triton-infer follows the GPU's phases
                inst = MigInstance(gi_id, profile, slices, mem, pod, pod.containers[0].name, int(mem * 0.7), None)
            elif gi_id == 5:
                pod = self.pod(rng, cluster, node, cat.APPS[7], {res: 1.0}, None)  # embedding-svc: steady load
                inst = MigInstance(gi_id, profile, slices, mem, pod, pod.containers[0].name, int(mem * 0.55), 0.42)
            else:
                inst = MigInstance(gi_id, profile, slices, mem, None, "", 0, 0.0)
            g.mig.append(inst)

    def _npus(self, rng: random.Random, cluster: SimCluster, node: SimNode, m: cat.NpuModel) -> None:
        furiosa = m.vendor == "furiosa"
        for i in range(self.fs.gpus_per_node):
            uuid = _uuid(rng)
            node.npus.append(
                SimNpu(
                    cluster=cluster.name,
                    node=node.name,
                    index=i,
                    uuid=uuid.upper() if furiosa else uuid,
                    pci_bus_id=f"0000:{NPU_BUSES[i % len(NPU_BUSES)]:02x}:00.0",
                    model=m,
                    driver_version="2025.1.0+f09a8d8" if furiosa else "2.0.1",
                    firmware_version="2025.1.0+696efad" if furiosa else "2.0.1",
                    power=npu_schedule(m, None, 0.0, rng.uniform(-0.03, 0.03)),
                    started_at=node.boot_at + 90.0,
                )
            )
        devices = list(range(len(node.npus)))
        res = cat.RES_RNGD if furiosa else cat.RES_ATOM
        if furiosa and not self.first_furiosa_done:
            self.first_furiosa_done = True
            devices.remove(0)
            card = node.npus[0]
            shape, k = self.shape(rng)
            card.power = npu_schedule(m, shape, k, 0.0)
            apps = cat.NPU_APPS["furiosa"]
            for cores, ids, app in (("0-3", (0, 1, 2, 3), apps[0]), ("4-7", (4, 5, 6, 7), apps[1])):
                pod = self.pod(rng, cluster, node, app, {cat.RES_RNGD_PART: 1.0}, shape)
                card.partitions.append(NpuPartition(cores, ids, pod, pod.containers[0].name))
            card.memory_used_bytes = int(m.memory_bytes * 0.6)
        groups, _idle = self._groups(rng, devices, node.index)
        for group in groups:
            shape, k = self.shape(rng)
            app = rng.choice(cat.NPU_APPS[m.vendor])
            pod = self.pod(rng, cluster, node, app, {res: float(len(group))}, shape)
            for i in group:
                d = node.npus[i]
                d.pod, d.container = pod, pod.containers[0].name
                d.power = npu_schedule(m, shape, k, rng.uniform(-0.03, 0.03))
                d.memory_used_bytes = int(rng.uniform(0.3, 0.9) * m.memory_bytes)

    # -- VMs -----------------------------------------------------------------
    def vms(self, cluster: SimCluster) -> None:
        rng = _rng(self.seed, cluster.index, "vms")
        plan = [(0, "ACTIVE"), (0, "ACTIVE"), (1, "ACTIVE"), (1, "SHUTOFF")]
        for k, (j, status) in enumerate(plan):
            if j >= len(cluster.nodes):
                continue
            node = cluster.nodes[j]
            vcpus = rng.choice((8, 16))
            vm = SimVM(
                domain=f"instance-{rng.getrandbits(20) + 0x10000:08x}",
                uuid=_uuid(rng),
                name=f"{cluster.name}-vm-{k}",
                node=node.name,
                vcpus=vcpus,
                memory_bytes=vcpus * 4 * GiB,
                status=status,
                cpu_util=rng.uniform(0.3, 0.7) if status == "ACTIVE" else 0.0,
                flavor=f"g1.{vcpus}x{vcpus * 4}",
                project_id=_hex(rng, 32),
                project_name="research-vms",
                user_id=_hex(rng, 32),
                started_at=self.epoch - rng.uniform(86400, 20 * 86400),
            )
            node.vms.append(vm)
            cluster.vms.append(vm)
            if status == "ACTIVE":
                # qemu runs outside Kubernetes: its power shows up as non-pod processes.
                extra = vm.vcpus * vm.cpu_util * cat.WATTS_PER_CORE
                segs = node.system_cpu.segments
                node.system_cpu = Schedule(
                    (
                        Segment(
                            IDLE, segs[0].duration, segs[0].base + extra, wiggle=segs[0].wiggle, wperiod=segs[0].wperiod
                        ),
                    ),
                    offset=node.system_cpu.offset,
                )


def build_clusters(seed: int, fs: FleetSize, epoch: float) -> tuple[list[SimCluster], str | None, tuple[str, str]]:
    """Lay out every cluster; returns (clusters, reset GPU uuid, stopped (cluster, node))."""
    b = _Builder(seed, fs, epoch)
    clusters: list[SimCluster] = []
    for ci in range(fs.clusters):
        cluster = SimCluster(
            name=cat.CLUSTER_NAMES[ci] if ci < len(cat.CLUSTER_NAMES) else f"region-{ci}",
            index=ci,
            kepler_generation="0.7" if (ci == 0 or (ci >= 3 and ci % 3 == 0)) else "0.10",
            rbln_naming="legacy" if ci % 2 == 0 else "new",
            dcgm_hostname_label="hostname" if ci % 2 == 1 else "Hostname",
            scrape_interval_seconds=30,
            container_runtime="docker" if ci == 0 else "containerd",
        )
        for j in range(fs.nodes_per_cluster):
            cluster.nodes.append(b.node(cluster, j))
        if ci == 1:
            b.vms(cluster)
        rng = _rng(seed, ci, "extra-pods")
        first = cluster.nodes[0]
        b.pod(rng, cluster, None, cat.APPS[2], {cat.RES_GPU: 2.0}, None, phase="Pending")
        b.pod(rng, cluster, None, cat.APPS[5], {}, None, phase="Pending")
        b.pod(rng, cluster, first, cat.APPS[6], {cat.RES_GPU: 1.0}, None, phase="Succeeded")
        b.pod(rng, cluster, first, cat.APPS[5], {}, None, phase="Failed")
        cluster.namespaces = sorted({p.namespace for p in cluster.pods} | {"default"})
        clusters.append(cluster)
    reset = None
    if fs.nodes_per_cluster > 1 and fs.gpus_per_node > 1:
        reset = clusters[0].nodes[1].gpus[1].uuid
    sc = clusters[min(2, len(clusters) - 1)]
    stopped = (sc.name, sc.nodes[min(2, len(sc.nodes) - 1)].name)
    return clusters, reset, stopped

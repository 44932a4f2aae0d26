"""cAdvisor as served by the kubelet at ``/metrics/cadvisor``.

The kubelet replaces cAdvisor's labels with exactly ``container, id, image,
name, namespace, pod`` (plus the metric's own, e.g. ``cpu``/``interface``),
sorted by client_golang, and every sample carries a millisecond timestamp.
Rows per running pod: the pod cgroup (``container=""``, ``image=""``,
``name=""``), the pause/sandbox container (``container=""`` with the pause image
and a name under containerd; ``container="POD"`` under a dockershim-era kubelet,
cluster ``container_runtime == "docker"``) and one per app container; plus the
node root cgroup ``id="/"``.
Network counters exist only at pod level (pod cgroup and pause rows carry the
same values).  CPU seconds are the pod's Kepler package energy divided by
``WATTS_PER_CORE``, so cAdvisor and Kepler describe the same work.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from demo.catalog import DOCKER_PAUSE_IMAGE, PAUSE_IMAGE, WATTS_PER_CORE
from demo.expo import go_float, labels_sorted

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, SimPod, Target


HELP = (
    ("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds."),
    ("container_memory_working_set_bytes", "gauge", "Current working set in bytes."),
    ("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received"),
    ("container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted"),
)
PAUSE_CORES = 0.00002
PAUSE_BYTES = 491520
SYSTEM_BYTES = 6 * 1024**3


def pod_slice(pod: SimPod, runtime: str = "containerd") -> str:
    """Pod cgroup path: systemd driver (cgroup v2, containerd) or cgroupfs (dockershim era)."""
    if runtime == "docker":
        return f"/kubepods/burstable/pod{pod.uid}"
    uid = pod.uid.replace("-", "_")
    return f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid}.slice"


def pause_id(pod: SimPod) -> str:
    """The sandbox container id (64 hex), stable per pod."""
    return hashlib.sha256(pod.uid.encode()).hexdigest()


def _lab(container: str, cid: str, image: str, name: str, ns: str, pod: str, extra: tuple = ()) -> str:
    return labels_sorted(
        [
            ("container", container),
            ("id", cid),
            ("image", image),
            ("name", name),
            ("namespace", ns),
            ("pod", pod),
            *extra,
        ]
    )


def _static(cluster: SimCluster, node: SimNode) -> list[tuple]:
    """Rows: (kind, pod, container, cpu labels, mem labels, net labels or None)."""
    docker = cluster.container_runtime == "docker"
    rows = []
    cpu_x = (("cpu", "total"),)
    net_x = (("interface", "eth0"),)
    rows.append(("root", None, None, _lab("", "/", "", "", "", "", cpu_x), _lab("", "/", "", "", "", ""), None))
    for p in node.pods:
        sl = pod_slice(p, cluster.container_runtime)
        args = ("", sl, "", "", p.namespace, p.name)
        rows.append(("pod", p, None, _lab(*args, cpu_x), _lab(*args), _lab(*args, net_x)))
        pid = pause_id(p)
        if docker:
            # dockershim: the sandbox is a docker container named k8s_POD_..., labelled container="POD".
            args = (
                "POD",
                f"{sl}/{pid}",
                DOCKER_PAUSE_IMAGE,
                f"k8s_POD_{p.name}_{p.namespace}_{p.uid}_0",
                p.namespace,
                p.name,
            )
        else:
            args = ("", f"{sl}/cri-containerd-{pid}.scope", PAUSE_IMAGE, pid, p.namespace, p.name)
        rows.append(("pause", p, None, _lab(*args, cpu_x), _lab(*args), _lab(*args, net_x)))
        for c in p.containers:
            if docker:
                cid, name = f"{sl}/{c.container_id}", f"k8s_{c.name}_{p.name}_{p.namespace}_{p.uid}_0"
            else:
                cid, name = f"{sl}/cri-containerd-{c.container_id}.scope", c.container_id
            args = (c.name, cid, c.image, name, p.namespace, p.name)
            rows.append(("container", p, c, _lab(*args, cpu_x), _lab(*args), None))
    return rows


def cpu_seconds(pod: SimPod, share: float, t: float) -> float:
    """CPU seconds of a share of a pod since it started."""
    return share * pod.cpu.integral(pod.started_at, t) / WATTS_PER_CORE


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The kubelet ``/metrics/cadvisor`` page of ``node`` at ``t``."""
    rows = fleet.static(target.path, lambda: _static(cluster, node))
    ts = f" {int(t * 1000)}\n"
    fam: dict[str, list[str]] = {h[0]: [] for h in HELP}
    cpu_f, mem_f, rx_f, tx_f = (fam[h[0]] for h in HELP)
    for kind, p, c, cpu_l, mem_l, net_l in rows:
        if kind == "root":
            busy = sum(cpu_seconds(q, 1.0, t) + PAUSE_CORES * (t - q.started_at) for q in node.pods)
            busy += node.system_cpu.integral(node.boot_at, t) / WATTS_PER_CORE
            mem = sum(x.memory_bytes for q in node.pods for x in q.containers) + SYSTEM_BYTES
            mem += PAUSE_BYTES * len(node.pods)
        elif kind == "pod":
            busy = cpu_seconds(p, 1.0, t) + PAUSE_CORES * (t - p.started_at)
            mem = sum(x.memory_bytes for x in p.containers) + PAUSE_BYTES
        elif kind == "pause":
            busy = PAUSE_CORES * (t - p.started_at)
            mem = PAUSE_BYTES
        else:
            busy = cpu_seconds(p, c.share, t)
            mem = c.memory_bytes
        cpu_f.append(f"container_cpu_usage_seconds_total{cpu_l} {go_float(busy)}{ts}")
        mem_f.append(f"container_memory_working_set_bytes{mem_l} {go_float(float(mem))}{ts}")
        if net_l is not None:
            up = t - p.started_at
            rx_f.append(
                f"container_network_receive_bytes_total{net_l} {go_float(float(int(p.rx_bytes_per_s * up)))}{ts}"
            )
            tx_f.append(
                f"container_network_transmit_bytes_total{net_l} {go_float(float(int(p.tx_bytes_per_s * up)))}{ts}"
            )
    out = []
    for name, mtype, help_text in HELP:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {mtype}\n")
        out.extend(sorted(fam[name]))
    return "".join(out)

"""kube-state-metrics v2 (one per cluster).

KSM writes labels in its store's order (default object keys first: ``node`` for
nodes, ``namespace, pod, uid`` for pods), not alphabetically, values with Go
``'g'``, and prefixes the HELP of stable metrics with ``[STABLE]``.  The only
time-dependent part is the stopped node's Ready condition (``unknown`` 40 s after
it stops).  See ``docs/EXPORTERS.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo import catalog as cat
from demo.expo import go_float, labels_fixed

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, Target


HELP = {
    "kube_node_info": "Information about a cluster node.",
    "kube_node_spec_unschedulable": "Whether a node can schedule new pods.",
    "kube_node_status_allocatable": "The allocatable for different resources of a node that are available"
    " for scheduling.",
    "kube_node_status_capacity": "The capacity for different resources of a node.",
    "kube_node_status_condition": "The condition of a cluster node.",
    "kube_pod_info": "Information about pod.",
    "kube_pod_start_time": "Start time in unix timestamp for a pod.",
    "kube_pod_owner": "Information about the Pod's owner.",
    "kube_pod_status_phase": "The pods current phase.",
    "kube_pod_container_info": "Information about a container in a pod.",
    "kube_pod_container_resource_requests": "The number of requested request resource by a container. It is"
    " recommended to use the kube_pod_resource_requests metric exposed by kube-scheduler instead,"
    " as it is more precise.",
    "kube_pod_container_resource_limits": "The number of requested limit resource by a container. It is"
    " recommended to use the kube_pod_resource_limits metric exposed by kube-scheduler instead, as it is more precise.",
    "kube_pod_container_status_running": "Describes whether the container is currently in running state.",
    "kube_pod_created": "Unix creation timestamp",
}
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
NOT_READY_AFTER_S = 40.0  # node controller grace before Ready turns Unknown
UNITS = {"cpu": "core", "memory": "byte", "ephemeral_storage": "byte", "pods": "integer"}


def capacity(node: SimNode) -> dict[str, float]:
    """The node's ``kube_node_status_capacity`` by sanitized resource name."""
    res = {
        "cpu": float(node.cpu_cores),
        "memory": float(node.memory_bytes),
        "ephemeral_storage": 3.84e12,
        "pods": 110.0,
    }
    if node.gpus:
        mig = [g for g in node.gpus if g.mig]
        res[cat.RES_GPU] = float(len(node.gpus) - len(mig))
        for g in mig:
            for inst in g.mig:
                key = "nvidia_com_mig_" + inst.profile.replace(".", "_")
                res[key] = res.get(key, 0.0) + 1.0
    elif node.kind == "furiosa":
        parts = [c for c in node.npus if c.partitions]
        res[cat.RES_RNGD] = float(len(node.npus) - len(parts))
        if parts:
            res[cat.RES_RNGD_PART] = float(sum(len(c.partitions) for c in parts))
    elif node.kind == "rebellions":
        res[cat.RES_ATOM] = float(len(node.npus))
    return res


def allocatable(node: SimNode) -> dict[str, float]:
    """Capacity minus system reservations (CPU, memory, storage only)."""
    res = dict(capacity(node))
    res["cpu"] -= 2.0
    res["memory"] -= 16.0 * 1024**3
    res["ephemeral_storage"] -= 1.0e11
    return res


def _unit(resource: str) -> str:
    return UNITS.get(resource, "integer")


def _fam(name: str, lines: list[str]) -> str:
    return f"# HELP {name} [STABLE] {HELP[name]}\n# TYPE {name} gauge\n" + "".join(lines)


def _static(cluster: SimCluster) -> tuple[str, str]:
    """Everything but the node conditions, as (node part, pod part)."""
    nodes = cluster.nodes
    rt = cat.RUNTIMES[cluster.container_runtime]
    info, unsched, alloc, cap = [], [], [], []
    for n in nodes:
        info.append(
            "kube_node_info"
            + labels_fixed(
                [
                    ("node", n.name),
                    ("kernel_version", "5.15.0-122-generic"),
                    ("os_image", "Ubuntu 22.04.5 LTS"),
                    ("container_runtime_version", rt["runtime_version"]),
                    ("kubelet_version", rt["kubelet"]),
                    ("kubeproxy_version", "deprecated"),
                    ("provider_id", ""),
                    ("pod_cidr", f"10.244.{n.index}.0/24"),
                    ("system_uuid", n.system_uuid),
                    ("internal_ip", n.ip),
                ]
            )
            + " 1\n"
        )
        unsched.append(f'kube_node_spec_unschedulable{{node="{n.name}"}} 0\n')
        for rows, res in ((alloc, allocatable(n)), (cap, capacity(n))):
            for r in sorted(res):
                rows.append(
                    labels_fixed([("node", n.name), ("resource", r), ("unit", _unit(r))]) + f" {go_float(res[r])}\n"
                )
    node_part = (
        _fam("kube_node_info", info)
        + _fam("kube_node_spec_unschedulable", unsched)
        + _fam("kube_node_status_allocatable", ["kube_node_status_allocatable" + x for x in alloc])
        + _fam("kube_node_status_capacity", ["kube_node_status_capacity" + x for x in cap])
    )
    f: dict[str, list[str]] = {k: [] for k in HELP if k.startswith("kube_pod")}
    for p in cluster.pods:
        key = [("namespace", p.namespace), ("pod", p.name), ("uid", p.uid)]
        f["kube_pod_info"].append(
            "kube_pod_info"
            + labels_fixed(
                [
                    *key,
                    ("host_ip", p.host_ip),
                    ("pod_ip", p.ip),
                    ("node", p.node or ""),
                    ("created_by_kind", p.owner_kind),
                    ("created_by_name", p.owner_name),
                    ("priority_class", p.priority_class),
                    ("host_network", "true" if p.name.startswith("kube-proxy") else "false"),
                ]
            )
            + " 1\n"
        )
        if p.started_at is not None:
            f["kube_pod_start_time"].append(
                f"kube_pod_start_time{labels_fixed(key)} {go_float(float(int(p.started_at)))}\n"
            )
        f["kube_pod_owner"].append(
            "kube_pod_owner"
            + labels_fixed(
                [*key, ("owner_kind", p.owner_kind), ("owner_name", p.owner_name), ("owner_is_controller", "true")]
            )
            + " 1\n"
        )
        for ph in PHASES:
            f["kube_pod_status_phase"].append(
                f"kube_pod_status_phase{labels_fixed([*key, ('phase', ph)])} {1 if ph == p.phase else 0}\n"
            )
        for c in p.containers:
            ck = [*key, ("container", c.name)]
            started = p.phase != "Pending"
            f["kube_pod_container_info"].append(
                "kube_pod_container_info"
                + labels_fixed(
                    [
                        *ck,
                        ("image_spec", c.image),
                        ("image", c.image),
                        ("image_id", c.image_id if started else ""),
                        ("container_id", f"{rt['id_prefix']}{c.container_id}" if started else ""),
                    ]
                )
                + " 1\n"
            )
            for fam, res in (
                ("kube_pod_container_resource_requests", c.requests),
                ("kube_pod_container_resource_limits", c.limits),
            ):
                for r in sorted(res):
                    f[fam].append(
                        fam
                        + labels_fixed([*ck, ("node", p.node or ""), ("resource", r), ("unit", _unit(r))])
                        + f" {go_float(res[r])}\n"
                    )
            f["kube_pod_container_status_running"].append(
                f"kube_pod_container_status_running{labels_fixed(ck)} {1 if p.running else 0}\n"
            )
        f["kube_pod_created"].append(f"kube_pod_created{labels_fixed(key)} {go_float(float(int(p.created_at)))}\n")
    pod_part = "".join(_fam(name, lines) for name, lines in f.items())
    return node_part, pod_part


def node_ready(node: SimNode, t: float) -> str:
    """``true`` or ``unknown`` (after the node stopped reporting)."""
    if node.stopped_at is not None and t >= node.stopped_at + NOT_READY_AFTER_S:
        return "unknown"
    return "true"


def _condition_labels(cluster: SimCluster) -> list[tuple[SimNode, list[tuple[str, str, str]]]]:
    return [
        (
            n,
            [
                (
                    c,
                    status,
                    "kube_node_status_condition"
                    + labels_fixed([("node", n.name), ("condition", c), ("status", status)]),
                )
                for c in CONDITIONS
                for status in ("true", "false", "unknown")
            ],
        )
        for n in cluster.nodes
    ]


def render(fleet: Fleet, cluster: SimCluster, node: SimNode | None, target: Target, t: float) -> str:
    """The kube-state-metrics page of ``cluster`` at ``t``."""
    node_part, pod_part = fleet.static(target.path, lambda: _static(cluster))
    conds = fleet.static(target.path + "#conditions", lambda: _condition_labels(cluster))
    cond = []
    for n, rows in conds:
        ready = node_ready(n, t)
        for c, status, prefix in rows:
            current = ready if c == "Ready" else ("unknown" if ready == "unknown" else "false")
            cond.append(f"{prefix} {1 if status == current else 0}\n")
    return node_part + _fam("kube_node_status_condition", cond) + pod_part

"""Pods and containers: lists, summary, detail and energy over a window."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import LIVE, SUMMARY, cached_query
from clusters.prometheus.client import client_for
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.promql import TAG
from infrastructure import kepler, queries
from infrastructure.services.common import memoized, snapshot_of
from infrastructure.services.snapshot import MIB, ClusterSnapshot, Pod

J_PER_KWH = 3.6e6
POD_POWER_FIELDS = ("cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts", "power_watts")
POD_NUMERIC_FIELDS = (*POD_POWER_FIELDS, "cpu_usage_cores", "memory_working_set_mb")
POD_ORDERING = ("namespace", "name", "cluster", "node", "phase", *POD_NUMERIC_FIELDS)
CONTAINER_NUMERIC_FIELDS = POD_NUMERIC_FIELDS
CONTAINER_ORDERING = ("namespace", "pod", "name", "cluster", "node", *CONTAINER_NUMERIC_FIELDS)


@dataclass(frozen=True)
class PodFilters:
    """Validated filters of the pod and container lists."""

    namespaces: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    min_power_watts: float | None = None
    pods: tuple[str, ...] = ()


def _matches(pod: Pod, f: PodFilters) -> bool:
    if f.namespaces and pod.namespace not in f.namespaces:
        return False
    if f.nodes and pod.node not in f.nodes:
        return False
    if f.phases and pod.phase not in f.phases:
        return False
    if f.pods and pod.name not in f.pods:
        return False
    return f.min_power_watts is None or (pod.power_watts is not None and pod.power_watts >= f.min_power_watts)


def list_pods(results: list[ClusterResult[ClusterSnapshot]], filters: PodFilters) -> list[Pod]:
    """Pods of every answering cluster passing the filters, in (cluster, namespace, name) order."""
    rows = []
    for result in results:
        if result.ok:
            rows.extend(p for _key, p in sorted(result.value.pods.items()) if _matches(p, filters))
    return rows


def summarize_pods(pods: list[Pod], top: int = 10) -> dict:
    """Counts by phase, power by namespace (parts add up to the total), top pods by power."""
    by_phase = {"Pending": 0, "Running": 0, "Succeeded": 0, "Failed": 0, "Unknown": 0}
    namespaces: dict[tuple[str, str], dict] = {}
    for p in pods:
        by_phase[p.phase] = by_phase.get(p.phase, 0) + 1
        ns = namespaces.setdefault(
            (p.cluster, p.namespace),
            {"cluster": p.cluster, "namespace": p.namespace, "pods": 0, **dict.fromkeys(POD_POWER_FIELDS, 0.0)},
        )
        ns["pods"] += 1
        if p.power_watts is not None:
            for key in POD_POWER_FIELDS:
                ns[key] += getattr(p, key)
    ranked = sorted((p for p in pods if p.power_watts is not None), key=lambda p: -p.power_watts)
    by_namespace = sorted(namespaces.values(), key=lambda ns: (-ns["power_watts"], ns["cluster"], ns["namespace"]))
    return {
        "pods": len(pods),
        "by_phase": by_phase,
        "power_watts": sum(p.power_watts for p in pods if p.power_watts is not None),
        "by_namespace": by_namespace,
        "top": ranked[:top],
    }


# -- containers --------------------------------------------------------------------------
@dataclass
class Container:
    """One container of a pod: cAdvisor usage and Kepler power (GPU/NPU by allocation)."""

    namespace: str
    pod: str
    name: str
    cluster: str
    node: str | None
    phase: str
    image: str | None = None
    cpu_usage_cores: float | None = None
    memory_working_set_mb: float | None = None
    cpu_power_watts: float | None = None
    dram_power_watts: float | None = None
    gpu_power_watts: float | None = None
    npu_power_watts: float | None = None
    power_watts: float | None = None
    gpus: list[str] = field(default_factory=list)
    npus: list[str] = field(default_factory=list)


@dataclass
class ContainerSnapshot:
    """A cluster's snapshot plus its containers."""

    snapshot: ClusterSnapshot
    containers: dict[tuple[str, str, str], Container] = field(default_factory=dict)


def _add(target: dict, key: Any, part: str, value: float | None) -> None:
    if value is not None:
        parts = target.setdefault(key, {})
        parts[part] = parts.get(part, 0.0) + value


def fetch_containers(client: Any, cluster: Any, at: float) -> ContainerSnapshot:
    """Containers of one cluster at ``at`` (the snapshot's requests plus one; runs in a fan-out worker)."""
    snap = snapshot_of(client, cluster, at)
    result = cached_query(client, queries.containers(cluster.scope), LIVE, time=at)
    placement = snap.placement or P.Placement()
    power: dict[tuple[str, str, str], dict[str, float]] = {}
    usage: dict[tuple[str, str, str], dict[str, float]] = {}
    for s in result.samples:
        kind, lab = s.labels.get(TAG, ""), s.labels
        if kind == "k010_container":
            pod_key = placement.pod_of_uid(lab.get("pod_id"))  # Kepler 0.10 names a container's pod by UID
            if pod_key is not None:
                _add(power, (*pod_key, lab.get("container_name", "")), kepler.zone_of(lab), s.value)
        elif kind in ("k07_container_package", "k07_container_dram"):
            key = (lab.get("container_namespace", ""), lab.get("pod_name", ""), lab.get("container_name", ""))
            _add(power, key, kind.rsplit("_", 1)[1], s.value)
        elif kind in ("cpu_cores", "memory_bytes"):
            _add(usage, (lab.get("namespace", ""), lab.get("pod", ""), lab.get("container", "")), kind, s.value)
    out = ContainerSnapshot(snapshot=snap)
    device_power = _container_devices(snap)
    for (ns, pod_name), pod in snap.pods.items():
        node = snap.nodes.get(pod.node or "")
        node_up = node is not None and node.power.cpu_power_watts is not None
        for name in pod.containers:
            key = (ns, pod_name, name)
            c = Container(ns, pod_name, name, snap.cluster, pod.node, pod.phase, image=pod.images.get(name) or None)
            u = usage.get(key, {})
            c.cpu_usage_cores = u.get("cpu_cores")
            c.memory_working_set_mb = None if "memory_bytes" not in u else u["memory_bytes"] / MIB
            dev = device_power.get(key, {})
            c.gpus, c.npus = sorted(dev.get("gpus", [])), sorted(dev.get("npus", []))
            if pod.phase != "Running":
                c.cpu_power_watts = c.dram_power_watts = c.gpu_power_watts = c.npu_power_watts = c.power_watts = 0.0
            elif node_up:
                zones = power.get(key)
                if zones is not None:
                    c.cpu_power_watts, c.dram_power_watts = zones.get("package"), zones.get("dram")
                c.gpu_power_watts = dev.get("gpu", 0.0)
                c.npu_power_watts = dev.get("npu", 0.0)
                parts = (c.cpu_power_watts, c.dram_power_watts, c.gpu_power_watts, c.npu_power_watts)
                c.power_watts = None if any(v is None for v in parts) else sum(parts)  # type: ignore[arg-type]
            out.containers[key] = c
    return out


def _container_devices(snap: ClusterSnapshot) -> dict[tuple[str, str, str], dict]:
    """GPU/NPU power per container from the devices' allocations (device power x share)."""
    out: dict[tuple[str, str, str], dict] = {}
    for devices, kind in ((snap.gpus, "gpu"), (snap.npus, "npu")):
        for d in devices:
            device_id = getattr(d, "uuid", None) or getattr(d, "id", None)
            for alloc in getattr(d, "allocations", []) or []:
                entry = out.setdefault((alloc.namespace, alloc.pod, alloc.container or ""), {})
                ids = entry.setdefault(f"{kind}s", [])
                if device_id not in ids:
                    ids.append(device_id)
                if d.power_watts is not None:
                    entry[kind] = entry.get(kind, 0.0) + d.power_watts * alloc.share
    return out


def container_snapshots(clusters: list[Any], at: float) -> list[ClusterResult[ContainerSnapshot]]:
    """:func:`fetch_containers` for every cluster, in parallel."""

    def fetch(client: Any, cluster: Any) -> ContainerSnapshot:
        parts = ("infrastructure-containers", client.cache_version, cluster.scope, at)
        return memoized(parts, lambda: fetch_containers(client, cluster, at))

    return fan_out(clusters, fetch)


def list_containers(results: list[ClusterResult[ContainerSnapshot]], filters: PodFilters) -> list[Container]:
    """Containers of the pods passing ``filters``."""
    rows = []
    for result in results:
        if not result.ok:
            continue
        pods = result.value.snapshot.pods
        pod_filters = PodFilters(filters.namespaces, filters.nodes, filters.phases, None, filters.pods)
        floor = filters.min_power_watts
        for key, c in sorted(result.value.containers.items()):
            enough = floor is None or (c.power_watts is not None and c.power_watts >= floor)
            if enough and _matches(pods[key[:2]], pod_filters):
                rows.append(c)
    return rows


# -- one pod over a window ----------------------------------------------------------------
def pod_window(cluster: Any, pod: Pod, at: float, window_seconds: int, gpu_shares: dict, npu_shares: dict) -> dict:
    """Energy of one pod over ``[at - window, at]``: Kepler counters, DCGM counters x share, NPU gauges x share.

    ``gpu_shares``/``npu_shares`` map device id -> the pod's share of it (its
    allocations now; an allocation that changed within the window is not seen).
    """
    from clusters.prometheus.promql import promql_duration

    window = promql_duration(window_seconds)
    expr = queries.pod_energy(cluster.scope, pod.namespace, pod.name, window, sorted(gpu_shares), sorted(npu_shares))
    result = cached_query(client_for(cluster), expr, SUMMARY, time=at)
    joules: dict[str, float | None] = {"cpu": None, "dram": None, "gpu": 0.0, "npu": 0.0}
    for s in result.samples:
        kind, lab = s.labels.get(TAG, ""), s.labels
        if s.value is None:
            continue
        if kind == "energy_package":
            joules["cpu"] = s.value
        elif kind == "energy_dram":
            joules["dram"] = s.value
        elif kind == "energy_gpu":
            joules["gpu"] = (joules["gpu"] or 0.0) + s.value * gpu_shares.get(lab.get("UUID", ""), 0.0)
        elif kind == "avg_npu":
            joules["npu"] = (joules["npu"] or 0.0) + s.value * window_seconds * npu_shares.get(lab.get("uuid", ""), 0.0)
    if pod.phase != "Running" and joules["cpu"] is None:
        joules["cpu"] = joules["dram"] = 0.0
    kwh = {k: None if v is None else v / J_PER_KWH for k, v in joules.items()}
    known = [v for v in kwh.values() if v is not None]
    total = sum(known) if kwh["cpu"] is not None else None
    return {
        "window_seconds": window_seconds,
        "energy_kwh": total,
        "parts_energy_kwh": kwh,
        "avg_power_watts": None if total is None else total * J_PER_KWH / window_seconds,
    }


def device_shares(snap: ClusterSnapshot, pod: Pod) -> tuple[dict[str, float], dict[str, float]]:
    """The pod's share of each GPU and NPU it holds now (MIG slices / 7, partition cores / card cores)."""
    out: tuple[dict[str, float], dict[str, float]] = ({}, {})
    for devices, target in ((snap.gpus, out[0]), (snap.npus, out[1])):
        for d in devices:
            device_id = getattr(d, "uuid", None) or getattr(d, "id", None)
            for alloc in getattr(d, "allocations", []) or []:
                if (alloc.namespace, alloc.pod) == (pod.namespace, pod.name):
                    target[device_id] = target.get(device_id, 0.0) + alloc.share
    return out

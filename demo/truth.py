"""Ground truth: the exact values the API must report for the simulated fleet.

Rules the API must follow to match (they are the real exporters' semantics):

* **Gauges** are what the exporter prints at ``t`` (DCGM power in mW
  resolution, integer temperatures/clocks/MiB, NPU watts to 2 decimals, DCMI
  whole watts).  ``None`` where the exporter gives nothing usable: a DCGM blank
  sentinel (L40S memory temperature) and every measurement of a device on a
  node that stopped reporting. A MIG-mode GPU has no GPU_UTIL: its utilisation
  is the instances' graphics-engine activity weighted by their slices / 7
  (:func:`mig_utilization`), each instance's activity as the exporter prints it.
* **Energy** (:meth:`Truth.energy_joules`) is the exact integral of the power
  curve over ``[start, end]``; energy counters are exact integrals of the same
  curves, so ``increase()`` of a counter equals it (DCGM floors to whole mJ).
  Windows are clipped at the stopped node's ``stopped_at``: no data, no energy.
  Across the driver reload (``Fleet.reset_at``) the counter restarts from 0 at
  the reload instant, so ``increase()`` misses only the energy between the last
  scrape before the reload and the reload (at most one scrape interval), exactly
  as on real hardware.
* **Status** (GPU and NPU, the issue's rule): ``unavailable`` when its node
  stopped reporting; else ``active`` when utilization >= 1 %, ``idle`` below.
  Where the exporter gives no utilization, ``active`` when any part is
  allocated to a pod, else ``idle``.
* **MIG attribution** (:data:`MIG_ATTRIBUTION`): DCGM reports power per
  physical GPU only (the same value repeated on each ``GPU_I_ID`` row, so
  de-duplicate by ``UUID``).  A MIG instance's pod is attributed
  ``power * slices / 7``; the share of unallocated slices stays unattributed.
* **Furiosa partitions** (:data:`PARTITION_ATTRIBUTION`): a partition's pod gets
  ``card power * partition cores / 8``.
* **Node**: ``cpu_power_watts`` is the RAPL package (idle + pods + non-pod
  processes, never plus ``core``); ``measured_power_watts`` is DCMI wall power or
  None; ``power_watts`` is measured when available, else the sum of parts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from demo.catalog import MIG_SLICES
from demo.exporters import dcgm
from demo.exporters.npu_common import reading as npu_reading
from demo.fleet import Fleet, SimNode, SimPod

MIG_ATTRIBUTION = "slices"  # pod share = instance compute slices / 7
PARTITION_ATTRIBUTION = "cores"  # pod share = partition cores / card cores
J_PER_KWH = 3.6e6
POD_KEYS = ("cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts", "power_watts")
ENERGY_KINDS = (
    "gpu",
    "npu",
    "node_cpu",
    "node_dram",
    "node_gpu",
    "node_npu",
    "node_wall",
    "pod_cpu",
    "pod_dram",
    "pod_gpu",
    "pod_npu",
    "pod_total",
)


def mig_utilization(g, reading) -> float:
    """A MIG GPU's utilisation (%): each instance's engine activity x its compute slices / 7."""
    return sum(i.slices * dcgm.instance_reading(reading, i).gr_active for i in g.mig) / MIG_SLICES * 100.0


def activity_status(utilization: float | None, allocated: bool) -> str:
    """``active`` at >= 1 % utilization; without a utilization reading, when allocated."""
    if utilization is None:
        return "active" if allocated else "idle"
    return "active" if utilization >= 1.0 else "idle"


class Truth:
    """Exact expectations for one :class:`~demo.fleet.Fleet`."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        # pod key -> [(weight, "gpu"|"npu", uuid)]
        self.attribution: dict[tuple[str, str, str], list[tuple[float, str, str]]] = {}
        for c in fleet.clusters:
            for n in c.nodes:
                for g in n.gpus:
                    if g.mig:
                        for inst in g.mig:
                            if inst.pod is not None:
                                self._attr(c.name, inst.pod, inst.slices / MIG_SLICES, "gpu", g.uuid)
                    elif g.pod is not None:
                        self._attr(c.name, g.pod, 1.0, "gpu", g.uuid)
                for x in n.npus:
                    for p in x.partitions:
                        self._attr(c.name, p.pod, len(p.core_ids) / x.model.cores, "npu", x.uuid)
                    if x.pod is not None:
                        self._attr(c.name, x.pod, 1.0, "npu", x.uuid)

    def _attr(self, cluster: str, pod: SimPod, w: float, kind: str, uuid: str) -> None:
        self.attribution.setdefault((cluster, pod.namespace, pod.name), []).append((w, kind, uuid))

    # -- helpers ---------------------------------------------------------
    def _node(self, cluster: str, node: str) -> SimNode:
        return self.fleet.nodes[(cluster, node)]

    def _clip(self, node: SimNode, end: float) -> float:
        return end if node.stopped_at is None else min(end, node.stopped_at)

    # -- devices ---------------------------------------------------------
    def gpu(self, uuid: str, t: float) -> dict:
        """The accelerators API fields of one GPU at ``t``."""
        g = self.fleet.gpus[uuid]
        node = self._node(g.cluster, g.node)
        allocated = g.pod is not None or any(i.pod is not None for i in g.mig)
        out = {
            "uuid": g.uuid,
            "cluster": g.cluster,
            "node": g.node,
            "index": g.index,
            "model_name": g.model.name,
            "pci_bus_id": g.pci_bus_id,
            "driver_version": g.driver_version,
            "namespace": g.pod.namespace if g.pod else None,
            "pod": g.pod.name if g.pod else None,
            "container": g.container if g.pod else None,
            "mig_enabled": bool(g.mig),
            "mig_instances": [
                {
                    "gpu_instance_id": i.gi_id,
                    "profile": i.profile,
                    "namespace": i.pod.namespace if i.pod else None,
                    "pod": i.pod.name if i.pod else None,
                    "container": i.container if i.pod else None,
                    "memory_used_mb": i.fb_used_mib,
                    "memory_free_mb": i.memory_mib - i.fb_used_mib,
                    "power_share": i.slices / MIG_SLICES,
                }
                for i in g.mig
            ],
            "xid_errors": g.xid,
            "status": "unavailable" if not node.up(t) else ("active" if allocated else "idle"),
        }
        keys = (
            "power_watts",
            "temperature_celsius",
            "memory_temperature_celsius",
            "utilization_percent",
            "memory_copy_utilization_percent",
            "memory_used_mb",
            "memory_free_mb",
            "memory_total_mb",
            "sm_clock_mhz",
            "memory_clock_mhz",
            "total_energy_joules",
        )
        if not node.up(t):
            out.update(dict.fromkeys(keys))
            return out
        r = dcgm.reading(g, t)
        if g.mig:
            used = sum(i.fb_used_mib for i in g.mig)
            free = sum(i.memory_mib - i.fb_used_mib for i in g.mig)
            total = used + free
        else:
            used, free, total = r.fb_used, r.fb_free, r.fb_used + r.fb_free + r.fb_reserved
        out.update(
            power_watts=r.power,
            temperature_celsius=r.gpu_temp,
            memory_temperature_celsius=r.mem_temp,
            utilization_percent=mig_utilization(g, r) if g.mig else r.util,
            memory_copy_utilization_percent=r.copy_util,
            memory_used_mb=used,
            memory_free_mb=free,
            memory_total_mb=total,
            sm_clock_mhz=r.sm_clock,
            memory_clock_mhz=r.mem_clock,
            status=activity_status(mig_utilization(g, r) if g.mig else r.util, allocated),
            total_energy_joules=r.energy_mj / 1000.0,
        )
        return out

    def npu(self, id: str, t: float) -> dict:
        """The accelerators API fields of one NPU card at ``t`` (``id`` = card UUID)."""
        x = self.fleet.npus[id]
        node = self._node(x.cluster, x.node)
        allocated = x.pod is not None or bool(x.partitions)
        out = {
            "id": x.uuid,
            "vendor": x.model.vendor,
            "model_name": x.model.arch,
            "cluster": x.cluster,
            "node": x.node,
            "device": x.device,
            "index": x.index,
            "pci_bus_id": x.pci_bus_id,
            "driver_version": x.driver_version,
            "firmware_version": x.firmware_version,
            "namespace": x.pod.namespace if x.pod else None,
            "pod": x.pod.name if x.pod else None,
            "container": x.container if x.pod else None,
            "partitions": [
                {"cores": p.cores, "namespace": p.pod.namespace, "pod": p.pod.name, "container": p.container}
                for p in x.partitions
            ],
            "core_count": x.model.cores,
            "status": "unavailable" if not node.up(t) else ("active" if allocated else "idle"),
        }
        keys = ("power_watts", "temperature_celsius", "utilization_percent", "memory_used_bytes", "memory_total_bytes")
        if not node.up(t):
            out.update(dict.fromkeys(keys))
            return out
        r = npu_reading(x, t)
        out.update(
            power_watts=r.power,
            temperature_celsius=r.temperature,
            utilization_percent=r.utilization,
            status=activity_status(r.utilization, allocated),
            memory_used_bytes=r.memory_used_bytes,
            memory_total_bytes=r.memory_total_bytes,
        )
        return out

    # -- power ---------------------------------------------------------------
    def node_power(self, cluster: str, node: str, t: float) -> dict:
        """Power breakdown of one node at ``t``; every part None once the node stopped reporting."""
        n = self._node(cluster, node)
        keys = (
            "cpu_power_watts",
            "cpu_idle_watts",
            "cpu_pods_watts",
            "cpu_system_watts",
            "dram_power_watts",
            "gpu_power_watts",
            "npu_power_watts",
            "components_watts",
            "measured_power_watts",
            "other_watts",
            "power_watts",
        )
        if not n.up(t):
            return {"cluster": cluster, "node": node, "up": False, **dict.fromkeys(keys)}
        gpu = sum((dcgm.reading(g, t).power for g in n.gpus), 0.0)
        npu = sum((npu_reading(x, t).power for x in n.npus), 0.0)
        cpu, dram = n.cpu_power(t), n.dram_power(t)
        parts = cpu + dram + gpu + npu
        measured = n.dcmi_watts(t)
        return {
            "cluster": cluster,
            "node": node,
            "up": True,
            "cpu_power_watts": cpu,
            "cpu_idle_watts": n.cpu_idle_watts,
            "cpu_pods_watts": n.pods_cpu(t),
            "cpu_system_watts": n.system_cpu.value(t),
            "dram_power_watts": dram,
            "gpu_power_watts": gpu,
            "npu_power_watts": npu,
            "components_watts": parts,
            "measured_power_watts": measured,
            "other_watts": None if measured is None else measured - parts,
            "power_watts": float(measured) if measured is not None else parts,
        }

    def pod_power(self, cluster: str, namespace: str, pod: str, t: float) -> dict:
        """Power attributed to one pod at ``t`` (CPU/DRAM from Kepler, GPU/NPU by attribution)."""
        p = self.fleet.pods[(cluster, namespace, pod)]
        out = {"cluster": cluster, "namespace": namespace, "pod": pod, "node": p.node, "phase": p.phase}
        node = self._node(cluster, p.node) if p.node else None
        if not p.running or node is None or not node.up(t):
            # Not running: draws nothing.  Running on a silent node: unknown.
            return {**out, **dict.fromkeys(POD_KEYS, 0.0 if not p.running else None)}
        gpu = npu = 0.0
        for w, kind, uuid in self.attribution.get((cluster, namespace, pod), []):
            if kind == "gpu":
                gpu += w * dcgm.reading(self.fleet.gpus[uuid], t).power
            else:
                npu += w * npu_reading(self.fleet.npus[uuid], t).power
        cpu, dram = p.cpu.value(t), p.dram.value(t)
        return {
            **out,
            "cpu_power_watts": cpu,
            "dram_power_watts": dram,
            "gpu_power_watts": gpu,
            "npu_power_watts": npu,
            "power_watts": cpu + dram + gpu + npu,
        }

    def cluster_power(self, cluster: str, t: float) -> dict:
        """Sums of :meth:`node_power` over the nodes that are reporting at ``t``."""
        c = self.fleet.cluster(cluster)
        parts = ("cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts", "components_watts")
        out: dict = {"cluster": cluster, "nodes": len(c.nodes), "nodes_up": 0, **dict.fromkeys(parts, 0.0)}
        out["measured_power_watts"] = 0.0
        out["measured_nodes"] = 0
        out["power_watts"] = 0.0
        for n in c.nodes:
            np_ = self.node_power(cluster, n.name, t)
            if not np_["up"]:
                continue
            out["nodes_up"] += 1
            for k in parts:
                out[k] += np_[k]
            if np_["measured_power_watts"] is not None:
                out["measured_power_watts"] += np_["measured_power_watts"]
                out["measured_nodes"] += 1
            out["power_watts"] += np_["power_watts"]
        return out

    def gpu_uuids(self, cluster: str | None = None) -> list[str]:
        """Every GPU UUID (of one cluster), in fleet order."""
        return [u for u, g in self.fleet.gpus.items() if cluster is None or g.cluster == cluster]

    def npu_ids(self, cluster: str | None = None) -> list[str]:
        """Every NPU card id (UUID) (of one cluster), in fleet order."""
        return [u for u, x in self.fleet.npus.items() if cluster is None or x.cluster == cluster]

    # -- energy --------------------------------------------------------------
    def scraped_npu_joules(self, uuid: str, start: float, end: float) -> float:
        """Energy of an NPU as its scrapes show it: the readings at the scrape instants in ``(start, end]`` x interval.

        NPU exporters publish only an instantaneous power gauge. Scraped every 30 s,
        it cannot show the 29-47 s ripple or where inside 30 s a phase changed, so
        the exact integral of the device curve differs from anything a scraper can
        compute by up to ~1.3 % over an hour (measured over 48 fixture epochs).
        This is the integral of the scraped step function: the reference for the
        gauge integration (grid, de-duplication, attribution), independent of
        sampling luck. ``energy_joules`` stays the physical truth.
        """
        x = self.fleet.npus[uuid]
        step = float(self.fleet.cluster(x.cluster).scrape_interval_seconds)
        end = self._clip(self._node(x.cluster, x.node), end)
        first = math.floor(start / step) * step + step
        total, t = 0.0, first
        while t <= end + 1e-9:
            total += npu_reading(x, t).power
            t += step
        return total * step

    def energy_joules(self, kind: str, key: object, start: float, end: float, *, scraped: bool = False) -> float:
        """Exact energy over ``[start, end]``.

        ``kind``/``key``: ``gpu``/``npu`` with a UUID; ``node_cpu``, ``node_dram``,
        ``node_gpu``, ``node_npu``, ``node_wall`` with ``(cluster, node)``;
        ``pod_cpu``, ``pod_dram``, ``pod_gpu``, ``pod_npu``, ``pod_total`` with
        ``(cluster, namespace, pod)``.  Clipped at the node's ``stopped_at``.
        ``scraped=True`` uses :meth:`scraped_npu_joules` for NPU energy (a gauge);
        counter-backed parts are exact either way.
        """
        f = self.fleet
        if kind == "npu" and scraped:
            return self.scraped_npu_joules(key, start, end)
        if kind in ("gpu", "npu"):
            d = f.gpus[key] if kind == "gpu" else f.npus[key]
            end = self._clip(self._node(d.cluster, d.node), end)
            return d.power.integral(start, end) if end > start else 0.0
        if kind.startswith("node_"):
            n = self._node(*key)
            end = self._clip(n, end)
            if end <= start:
                return 0.0
            if kind == "node_npu" and scraped:
                return sum(self.scraped_npu_joules(x.uuid, start, end) for x in n.npus)
            return self._node_energy(n, kind[5:], start, end)
        if kind.startswith("pod_"):
            cluster, ns, name = key
            p = f.pods[(cluster, ns, name)]
            if not p.running:
                return 0.0
            end = self._clip(self._node(cluster, p.node), end)
            if end <= start:
                return 0.0
            part = kind[4:]
            if part == "total":
                return sum(
                    self.energy_joules(f"pod_{x}", key, start, end, scraped=scraped)
                    for x in ("cpu", "dram", "gpu", "npu")
                )
            if part == "cpu":
                return p.cpu.integral(start, end)
            if part == "dram":
                return p.dram.integral(start, end)
            total = 0.0
            for w, dk, uuid in self.attribution.get((cluster, ns, name), []):
                if dk == part:
                    total += w * self.energy_joules(dk, uuid, start, end, scraped=scraped)
            return total
        raise ValueError(f"unknown energy kind {kind!r}; one of {ENERGY_KINDS}")

    def _node_energy(self, n: SimNode, part: str, start: float, end: float) -> float:
        sch = n.schedules()
        dt = end - start
        if part == "cpu":
            return n.cpu_idle_watts * dt + sum(k * s.integral(start, end) for k, s in sch["cpu"])
        if part == "dram":
            return n.dram_idle_watts * dt + sum(k * s.integral(start, end) for k, s in sch["dram"])
        if part in ("gpu", "npu"):
            return sum(k * s.integral(start, end) for k, s in sch[part])
        if part == "wall":
            it = sum(self._node_energy(n, x, start, end) for x in ("cpu", "dram", "gpu", "npu"))
            return n.other_watts * dt + (1.0 + n.psu_loss) * it
        raise ValueError(f"unknown node energy part {part!r}")

    def namespace_energy_kwh(
        self, cluster: str, namespace: str, start: float, end: float, *, scraped: bool = False
    ) -> dict:
        """Energy of a namespace's pods over ``[start, end]`` in kWh: cpu/dram/gpu/npu/total.

        ``scraped``: NPU energy as its scrapes show it (see :meth:`scraped_npu_joules`).
        """
        c = self.fleet.cluster(cluster)
        out = dict.fromkeys(("cpu", "dram", "gpu", "npu"), 0.0)
        for p in c.pods:
            if p.namespace == namespace and p.running:
                for part in out:
                    out[part] += self.energy_joules(
                        f"pod_{part}", (cluster, namespace, p.name), start, end, scraped=scraped
                    )
        kwh = {k: v / J_PER_KWH for k, v in out.items()}
        kwh["total"] = sum(kwh.values())
        return kwh

    # -- dump ------------------------------------------------------------------
    def dump(self, t: float, path: str | Path) -> None:
        """Write every device, node, pod and namespace (energy over the hour before ``t``) as JSON."""
        f = self.fleet
        doc = {
            "seed": f.seed,
            "size": f.size.__dict__,
            "epoch": f.epoch,
            "t": t,
            "reset": {"gpu": f.reset_gpu, "at": f.reset_at},
            "stopped": {"cluster": f.stopped[0], "node": f.stopped[1], "at": f.stopped_at} if f.stopped else None,
            "rules": {"mig_attribution": MIG_ATTRIBUTION, "partition_attribution": PARTITION_ATTRIBUTION},
            "clusters": [],
        }
        for c in f.clusters:
            doc["clusters"].append(
                {
                    "name": c.name,
                    "kepler_generation": c.kepler_generation,
                    "rbln_naming": c.rbln_naming,
                    "dcgm_hostname_label": c.dcgm_hostname_label,
                    "nodes": [self.node_power(c.name, n.name, t) for n in c.nodes],
                    "gpus": [self.gpu(g.uuid, t) for n in c.nodes for g in n.gpus],
                    "npus": [self.npu(x.uuid, t) for n in c.nodes for x in n.npus],
                    "pods": [self.pod_power(c.name, p.namespace, p.name, t) for p in c.pods],
                    "namespaces_last_hour_kwh": {
                        ns: self.namespace_energy_kwh(c.name, ns, t - 3600, t) for ns in c.namespaces
                    },
                }
            )
        Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True))

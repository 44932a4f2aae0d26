"""``/monitoring/efficiency``: PUE per cluster, accelerator utilisation, and idle waste.

Idle waste is the energy GPUs and NPUs burn while their utilisation is below
1 % (the accelerators API's ``idle`` rule), over the window, split into

* ``allocated``: the device (or its MIG slice / partition) is held by a pod that
  leaves it idle; attributed to that pod by its allocation share, so the top
  namespaces and pods are the ones paying for idle accelerators;
* ``unallocated``: nobody holds it (or the unallocated share of a partitioned device).

Allocations are those at the window's end. A GPU without a utilisation reading
(MIG) is never counted idle: allocation decides its state, as in the accelerators
API. Carbon and cost of the waste use the cluster's PUE like every energy figure.

One request per cluster (:func:`monitoring.queries.efficiency`, the energy request
plus the idle and utilisation parts) plus the accelerators' two device requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.cache import SUMMARY, cached_query
from clusters.prometheus.fanout import ClusterResult
from clusters.prometheus.promql import TAG
from clusters.prometheus.threads import beside
from infrastructure.queries import subquery_step
from infrastructure.services.energy import ClusterEnergy, finish
from monitoring import queries
from monitoring.economics import J_PER_KWH, Site, carbon_grams, cost, fetch_facility
from monitoring.services.grouping import cluster_pue


@dataclass
class DeviceWaste:
    """One accelerator's idle energy over the window and who held it."""

    id: str
    kind: str
    node: str | None
    model: str | None
    idle_joules: float
    allocated_share: float
    holders: list[tuple[str, str, float]] = field(default_factory=list)  # (namespace, pod, share)


@dataclass
class ClusterEfficiency:
    """Energy, utilisation and idle waste of one cluster over the window."""

    energy: ClusterEnergy
    devices: list[DeviceWaste] = field(default_factory=list)
    utilization: dict[str, list[float]] = field(default_factory=lambda: {"gpu": [], "npu": []})


def fetch_efficiency(
    client: Any, cluster: Any, site: Site, end: float, window_seconds: int, inventory: Any | None = None
) -> ClusterEfficiency:
    """Runs in a fan-out worker (no database). ``inventory``: the devices at ``end`` if the caller has them."""
    from accelerators import devices as accelerators

    step = subquery_step(window_seconds)
    out = ClusterEnergy(cluster=cluster.name, end=end, window_seconds=window_seconds)
    pending = None if inventory else beside(accelerators.fetch_accelerators, client, cluster, at=end)
    facility = beside(fetch_facility, client, site, end, window_seconds)
    result = cached_query(client, queries.efficiency(cluster.scope, window_seconds, step), SUMMARY, time=end)
    found = inventory if pending is None else pending.result()
    out.facility = facility.result()
    devices = [*found.gpus, *found.npus]
    finish(out, result.samples, found)
    eff = ClusterEfficiency(energy=out)
    info = {d.id: d for d in devices}
    for s in result.samples:
        kind, value = s.labels.get(TAG, ""), s.value
        device_id = s.labels.get("UUID") or s.labels.get("uuid") or ""
        if value is None or not device_id:
            continue
        if kind in ("gpu_util_avg", "npu_util_avg"):
            eff.utilization[kind[:3]].append(value)
        elif kind in ("gpu_idle_sum", "npu_idle_sum"):
            d = info.get(device_id)
            allocations = [] if d is None else d.allocations
            holders = [(a.namespace, a.pod, a.share) for a in allocations]
            eff.devices.append(
                DeviceWaste(
                    id=device_id,
                    kind=kind[:3],
                    node=None if d is None else d.node,
                    model=None if d is None else d.model,
                    idle_joules=value * step,
                    allocated_share=min(1.0, sum(h[2] for h in holders)),
                    holders=holders,
                )
            )
    return eff


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _kwh(joules: float) -> float:
    return joules / J_PER_KWH


def _top(rows: dict[tuple, float], names: tuple[str, ...], top: int, extra=None) -> list[dict]:
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    out = []
    for key, joules in ranked:
        row = dict(zip(names, key, strict=True))
        row["idle_energy_kwh"] = _kwh(joules)
        if extra:
            row.update(extra(key))
        out.append(row)
    return out


def summarize(results: list[ClusterResult[ClusterEfficiency]], sites: dict[str, Site], top: int = 10) -> dict:
    """Per-cluster rows, fleet totals and the top offenders."""
    rows, namespaces, pods, devices, details = [], {}, {}, {}, {}
    all_util: dict[str, list[float]] = {"gpu": [], "npu": []}
    for result in results:
        if not result.ok:
            continue
        eff, site = result.value, sites[result.cluster.name]
        c = eff.energy.cluster
        pue = cluster_pue(site, eff.energy)
        allocated = unallocated = 0.0
        for d in eff.devices:
            allocated += d.idle_joules * d.allocated_share
            unallocated += d.idle_joules * (1.0 - d.allocated_share)
            devices[(c, d.id)] = d.idle_joules
            details[(c, d.id)] = {"kind": d.kind, "node": d.node, "model": d.model, "allocated": bool(d.holders)}
            for ns, pod, share in d.holders:
                namespaces[(c, ns)] = namespaces.get((c, ns), 0.0) + d.idle_joules * share
                pods[(c, ns, pod)] = pods.get((c, ns, pod), 0.0) + d.idle_joules * share
        for kind in ("gpu", "npu"):
            all_util[kind].extend(eff.utilization[kind])
        waste_kwh = _kwh(allocated + unallocated)
        it = eff.energy.it_joules
        rows.append(
            {
                "cluster": c,
                "pue": pue.value,
                "pue_source": pue.source,
                "it_energy_kwh": None if it is None else _kwh(it),
                "gpu_utilization_percent": _mean(eff.utilization["gpu"]),
                "npu_utilization_percent": _mean(eff.utilization["npu"]),
                "idle_waste_kwh": waste_kwh,
                "allocated_idle_kwh": _kwh(allocated),
                "unallocated_idle_kwh": _kwh(unallocated),
                "idle_waste_share_percent": None if not it else 100.0 * (allocated + unallocated) / it,
                "carbon_grams": carbon_grams(waste_kwh, pue, site),
                "cost": cost(waste_kwh, pue, site),
                "currency": site.currency,
            }
        )
    missing = [r.cluster.name for r in results if not r.ok]
    currencies = {r["currency"] for r in rows if r["cost"] is not None}
    totals = {
        "gpu_utilization_percent": _mean(all_util["gpu"]),
        "npu_utilization_percent": _mean(all_util["npu"]),
        "idle_waste_kwh": sum(r["idle_waste_kwh"] for r in rows),
        "allocated_idle_kwh": sum(r["allocated_idle_kwh"] for r in rows),
        "unallocated_idle_kwh": sum(r["unallocated_idle_kwh"] for r in rows),
        "carbon_grams": None
        if any(r["carbon_grams"] is None and r["idle_waste_kwh"] for r in rows)
        else sum(r["carbon_grams"] or 0.0 for r in rows),
        "cost": None
        if len(currencies) > 1 or any(r["cost"] is None and r["idle_waste_kwh"] for r in rows)
        else sum(r["cost"] or 0.0 for r in rows),
        "currency": currencies.pop() if len(currencies) == 1 else None,
        "partial": bool(missing),
        "missing_clusters": missing,
    }
    offenders = {
        "namespaces": _top(namespaces, ("cluster", "namespace"), top),
        "pods": _top(pods, ("cluster", "namespace", "pod"), top),
        "devices": _top(devices, ("cluster", "id"), top, extra=lambda key: details[key]),
    }
    return {"rows": rows, "totals": totals, "top": offenders}

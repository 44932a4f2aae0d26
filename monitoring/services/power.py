"""Power now: per cluster and fleet-wide, by resource type, and the breakdowns that add up.

Power now reuses the infrastructure snapshot (:func:`infrastructure.services.
common.snapshot_of`: nodes, pods and devices with their power at one aligned
instant, cached and shared with the node and pod lists) plus the cluster's
facility power query when it has one. Definitions:

* a cluster's IT power (``it_power_watts``) = the sum of its nodes' ``power_watts``
  (DCMI wall power where the BMC measures it, else CPU + DRAM + GPU + NPU), over
  the nodes that report; ``other`` = IT power - the sum of the parts (PSU loss,
  fans, disks: only a wall meter sees them);
* ``pods`` = power attributed to running pods; ``idle`` = the nodes' parts not
  attributed to a pod (idle power, non-pod processes, unallocated devices and
  MIG slices); so pods + idle + other = IT power.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.threads import beside
from infrastructure.services.common import snapshot_of
from infrastructure.services.energy import ClusterEnergy, finish, query_energy
from infrastructure.services.snapshot import ClusterSnapshot
from monitoring.economics import Facility, Pue, Site, facility_of, fetch_facility, pue_of, rate_fields

RESOURCE_TYPES = ("gpu", "npu", "cpu", "dram", "other")


@dataclass
class ClusterPower:
    """One cluster's power now, its parts and its PUE."""

    cluster: str
    at: float
    it_power_watts: float | None = None
    parts: dict[str, float | None] = field(default_factory=dict)  # RESOURCE_TYPES -> W
    pods_power_watts: float | None = None
    idle_power_watts: float | None = None
    nodes: int = 0
    nodes_reporting: int = 0
    pue: Pue | None = None
    facility_power_watts: float | None = None


@dataclass
class ClusterNow:
    """What a fan-out worker brings back for power now (and optionally a window's energy)."""

    snapshot: ClusterSnapshot
    facility: Facility | None
    energy: ClusterEnergy | None = None


def known_sum(values: Iterable[float | None]) -> float | None:
    """Sum of the known values; None when none is known (a missing reading is not a 0)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def fetch_now(client: Any, cluster: Any, site: Site, at: float, window_seconds: int | None = None) -> ClusterNow:
    """Snapshot + facility power at ``at`` (+ energy over the window ending at ``at``); in a worker."""
    facility = beside(fetch_facility, client, site, at)
    window_facility = beside(fetch_facility, client, site, at, window_seconds) if window_seconds else None
    counters = beside(query_energy, client, cluster, at, window_seconds) if window_seconds else None
    snap = snapshot_of(client, cluster, at)
    energy = None
    if counters is not None and window_facility is not None:
        # The snapshot's devices and placement are those at ``at``: no second inventory request.
        energy, samples = counters.result()
        finish(energy, samples, snap)
        energy.facility = window_facility.result()
    return ClusterNow(snap, facility.result(), energy)


def counted_pods(snap: ClusterSnapshot) -> list:
    """The pods whose power counts now: running, on a node that reports (breakdowns, metrics, budgets)."""
    up = {name for name, n in snap.nodes.items() if n.power.power_watts is not None}
    return [p for p in snap.pods.values() if p.node in up and p.power_watts is not None and p.phase == "Running"]


def fan_out_now(
    clusters: list[Any], sites: dict[str, Site], at: float, window_seconds: int | None = None
) -> list[ClusterResult[ClusterNow]]:
    """:func:`fetch_now` for every cluster, in parallel."""

    def fetch(client: Any, cluster: Any) -> ClusterNow:
        return fetch_now(client, cluster, sites[cluster.name], at, window_seconds)

    return fan_out(clusters, fetch)


def cluster_power(snap: ClusterSnapshot, site: Site, facility: Facility | None) -> ClusterPower:
    """Sum a snapshot's nodes and pods into a cluster's power now, with its PUE."""
    out = ClusterPower(cluster=snap.cluster, at=snap.at, nodes=len(snap.nodes))
    reporting = [n for n in snap.nodes.values() if n.power.power_watts is not None]
    out.nodes_reporting = len(reporting)
    out.it_power_watts = known_sum([n.power.power_watts for n in reporting])
    for part in ("cpu", "dram", "gpu", "npu"):
        out.parts[part] = known_sum([getattr(n.power, f"{part}_power_watts") for n in reporting])
    if out.it_power_watts is not None:
        parts = sum(v for v in out.parts.values() if v is not None)
        out.parts["other"] = out.it_power_watts - parts
        components = known_sum([n.power.components_watts for n in reporting])
        up = {n.name for n in reporting}
        pods = [p.power_watts for p in snap.pods.values() if p.node in up and p.power_watts is not None]
        out.pods_power_watts = sum(pods)
        out.idle_power_watts = None if components is None else components - out.pods_power_watts
    else:
        out.parts["other"] = None
    out.pue = pue_of(site, out.it_power_watts, facility)
    out.facility_power_watts = facility_of(out.it_power_watts, out.pue)
    return out


def power_row(power: ClusterPower, site: Site) -> dict:
    """One ``by_cluster`` row of the fleet answer."""
    return {
        "cluster": power.cluster,
        "power_watts": power.it_power_watts,
        "facility_power_watts": power.facility_power_watts,
        "pue": power.pue.value if power.pue else None,
        "pue_source": power.pue.source if power.pue else None,
        "pue_error": power.pue.error if power.pue else None,
        **{f"{part}_power_watts": power.parts.get(part) for part in RESOURCE_TYPES},
        "nodes": power.nodes,
        "nodes_reporting": power.nodes_reporting,
        **rate_fields(power.it_power_watts, power.pue, site),
    }


def share_percent(value: float | None, total: float | None) -> float | None:
    """``value`` as a percentage of ``total`` (None when either is unknown or the total is 0)."""
    if value is None or not total:
        return None
    return 100.0 * value / total


def fleet_power(results: list[ClusterResult[ClusterNow]], sites: dict[str, Site]) -> dict:
    """``/monitoring/power``: fleet IT and facility power now, by cluster and resource type."""
    rows, powers = [], []
    for result in results:
        if result.ok:
            power = cluster_power(result.value.snapshot, sites[result.cluster.name], result.value.facility)
            powers.append(power)
            rows.append(power_row(power, sites[result.cluster.name]))
    total = known_sum([p.it_power_watts for p in powers])
    facility: float | None = known_sum([p.facility_power_watts for p in powers])
    if any(p.it_power_watts and p.facility_power_watts is None for p in powers):
        facility = None  # a cluster without a PUE: a fleet facility figure would be invented
    by_type = []
    for part in RESOURCE_TYPES:
        watts = known_sum([p.parts.get(part) for p in powers])
        by_type.append({"resource_type": part, "power_watts": watts, "share_percent": share_percent(watts, total)})
    for row in rows:
        row["share_percent"] = share_percent(row["power_watts"], total)
    missing = [r.cluster.name for r in results if not r.ok]
    return {
        "total_power_watts": total,
        "facility_power_watts": facility,
        "pue": None if facility is None or not total else facility / total,
        "by_cluster": rows,
        "by_resource_type": by_type,
        "partial": bool(missing),
        "missing_clusters": missing,
    }

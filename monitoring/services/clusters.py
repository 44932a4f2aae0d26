"""Per-cluster analytics: the summary of one cluster and the side-by-side comparison.

Both are computed from :class:`~monitoring.services.power.ClusterNow` (the
infrastructure snapshot, facility power and, for the comparison, the energy of
a window), so they cost the same requests per cluster as ``/monitoring/power``.
"""

from __future__ import annotations

from typing import Any

from clusters.prometheus.fanout import ClusterResult
from kcloud import audience
from monitoring.economics import J_PER_KWH, Site, money_fields
from monitoring.services.grouping import cluster_pue
from monitoring.services.power import ClusterNow, cluster_power, power_row

STATUSES = ("active", "idle", "unavailable")


def _device_counts(devices: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for d in devices:
        counts[d.status] = counts.get(d.status, 0) + 1
    counts["total"] = len(devices)
    return counts


def gpu_utilization_percent(devices: list[Any]) -> float | None:
    """Mean utilisation of the GPUs that report one (MIG GPUs do not), None without any."""
    values = [d.utilization_percent for d in devices if d.utilization_percent is not None]
    return sum(values) / len(values) if values else None


def idle_share_percent(devices: list[Any]) -> float | None:
    """Idle devices as a share of the devices that report (active + idle)."""
    counts = _device_counts(devices)
    seen = counts["active"] + counts["idle"]
    return 100.0 * counts["idle"] / seen if seen else None


def prometheus_status(result: ClusterResult) -> dict:
    """The cluster's Prometheus as this request saw it, plus its last recorded health check."""
    c = result.cluster
    return {
        **result.outcome(),
        "version": c.prometheus_version or None,
        "last_checked_at": c.last_checked_at,
        "last_health_status": c.last_status,
    }


def summary(result: ClusterResult[ClusterNow], site: Site) -> dict:
    """``/clusters/{name}/summary``: inventory counts, power, PUE, carbon and cost rates, Prometheus status."""
    out: dict[str, Any] = {"cluster": result.cluster.name, "prometheus": prometheus_status(result)}
    if not result.ok:
        return {**out, "timestamp": None, "nodes": None, "gpus": None, "npus": None, "running_pods": None}
    snap = result.value.snapshot
    power = cluster_power(snap, site, result.value.facility)
    row = power_row(power, site)
    nodes = snap.nodes.values()
    out.update(
        timestamp=snap.at,
        nodes={"ready": sum(1 for n in nodes if n.status == "ready"), "total": len(snap.nodes)},
        gpus=_device_counts(snap.gpus),
        npus=_device_counts(snap.npus),
        running_pods=sum(1 for p in snap.pods.values() if p.phase == "Running"),
        it_power_watts=power.it_power_watts,
        facility_power_watts=power.facility_power_watts,
        pue=row["pue"],
        pue_source=row["pue_source"],
        pue_error=row["pue_error"],
        power_by_resource_type={part: row[f"{part}_power_watts"] for part in ("gpu", "npu", "cpu", "dram", "other")},
        carbon_grams_per_hour=row["carbon_grams_per_hour"],
        cost_per_hour=row["cost_per_hour"],
        currency=row["currency"],
    )
    return out


def compare(results: list[ClusterResult[ClusterNow]], sites: dict[str, Site]) -> list[dict]:
    """``/clusters/compare``: one row per cluster (power now, energy over the window, PUE, money, GPU use)."""
    rows = []
    for result in results:
        name = result.cluster.name
        row: dict[str, Any] = {
            "cluster": name,
            "status": result.status,
            "error": audience.error_text(result.error, result.error_code),
        }
        if not result.ok:
            rows.append(row)
            continue
        now, site = result.value, sites[name]
        power = cluster_power(now.snapshot, site, now.facility)
        energy = now.energy
        it_kwh = None if energy is None or energy.it_joules is None else energy.it_joules / J_PER_KWH
        pue = cluster_pue(site, energy) if energy is not None else power.pue
        money = money_fields(it_kwh, pue, site)
        row.update(
            power_watts=power.it_power_watts,
            facility_power_watts=power.facility_power_watts,
            energy_kwh=it_kwh,
            facility_energy_kwh=money["facility_energy_kwh"],
            pue=pue.value,
            pue_source=pue.source,
            carbon_grams=money["carbon_grams"],
            cost=money["cost"],
            currency=money["currency"],
            gpus=len(now.snapshot.gpus),
            gpu_utilization_percent=gpu_utilization_percent(now.snapshot.gpus),
            idle_gpu_share_percent=idle_share_percent(now.snapshot.gpus),
        )
        rows.append(row)
    return rows

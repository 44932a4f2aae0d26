"""The computations behind ``/monitoring/energy`` and ``/monitoring/timeseries/power``.

The JSON views and the exports (``/export/energy``, ``/export/power``, ``manage.py
export``) call these same functions, so a file and the JSON answer for the same
parameters hold the same numbers: there is no second computation.
"""

from __future__ import annotations

from dataclasses import dataclass

from clusters.prometheus.fanout import ClusterResult, fan_out
from monitoring.economics import Site
from monitoring.services import grouping, timeseries
from monitoring.services.energy import fetch_energy


def sites_of(clusters: list) -> dict[str, Site]:
    """Economics of each cluster, read before the fan-out (workers never touch the database)."""
    return {c.name: Site.of(c) for c in clusters}


@dataclass
class EnergyTable:
    """The rows and totals of an energy answer, and each cluster's outcome."""

    rows: list[dict]
    totals: dict
    results: list[ClusterResult]


def energy_table(clusters: list, end: float, window_seconds: int, group_by: str, idle: str) -> EnergyTable:
    """Energy over ``[end - window, end]`` grouped by ``group_by`` (one energy request per cluster)."""
    sites = sites_of(clusters)
    results = fan_out(clusters, lambda client, c: fetch_energy(client, c, sites[c.name], end, window_seconds))
    rows, totals, _pues = grouping.group_energy(results, sites, group_by, idle)
    return EnergyTable(rows, totals, results)


@dataclass
class PowerSeries:
    """Grouped power series aligned with ``timestamps`` (Unix seconds), their total, and the outcomes."""

    rows: list[dict]  # {<group fields>, power_watts: [...]}
    timestamps: list[float]
    total_watts: list[float | None]
    missing: list[str]
    results: list[ClusterResult]


def power_series(clusters: list, start: float, end: float, step: int, group_by: str) -> PowerSeries:
    """Power from ``start`` to ``end`` every ``step`` seconds, grouped (one range query per cluster)."""
    by_ns = group_by == "namespace"
    results = fan_out(clusters, lambda client, c: timeseries.fetch_series(client, c, start, end, step, by_ns))
    points = int((end - start) // step) + 1
    stamps = [start + i * step for i in range(points)]
    rows = timeseries.group_series(results, group_by, stamps)
    total = [
        None if all(r["power_watts"][i] is None for r in rows) else sum(r["power_watts"][i] or 0.0 for r in rows)
        for i in range(len(stamps))
    ]
    missing = [r.cluster.name for r in results if not r.ok]
    return PowerSeries(rows, stamps, total, missing, results)

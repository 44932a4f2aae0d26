"""A budget's progress: what its period has used so far and where the current rate takes it by the end.

``used`` comes from the energy answer over the period so far (the same
functions as ``/monitoring/energy``: IT energy, and carbon and cost through the
cluster's PUE, intensity and price); ``projected`` adds the current rate (power
now, through the same economics) for the rest of the period. Cost budgets are
in one currency: clusters priced in another are left out and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kcloud.timeutil import isoformat
from monitoring.economics import Site, rate_fields
from monitoring.services.power import ClusterNow, cluster_power, counted_pods

# How each measure reads an energy row (kWh, g -> kg, money) and a rate (per hour).
_ROW = {
    "energy_kwh": lambda row: row.get("energy_kwh"),
    "carbon_kg": lambda row: None if row.get("carbon_grams") is None else row["carbon_grams"] / 1000.0,
    "cost": lambda row: row.get("cost"),
}


@dataclass
class Progress:
    """How far a budget is into its limit (None where a figure is unknown)."""

    budget: Any
    period_start: datetime
    period_end: datetime
    used: float | None = None
    projected: float | None = None
    missing_clusters: list[str] = field(default_factory=list)
    excluded_clusters: list[str] = field(default_factory=list)  # another currency

    @property
    def percent(self) -> float | None:
        return _percent(self.used, self.budget.limit)

    @property
    def projected_percent(self) -> float | None:
        return _percent(self.projected, self.budget.limit)

    def as_dict(self, at: datetime) -> dict:
        """What the budget keeps of its last evaluation (the API and pages read it without PromQL)."""
        return {
            "evaluated_at": isoformat(at),
            "period_start": isoformat(self.period_start),
            "period_end": isoformat(self.period_end),
            "used": self.used,
            "projected": self.projected,
            "used_percent": self.percent,
            "projected_percent": self.projected_percent,
            "missing_clusters": self.missing_clusters,
            "excluded_clusters": self.excluded_clusters,
        }


def _percent(value: float | None, limit: float) -> float | None:
    if value is None or not limit:
        return None
    return 100.0 * value / limit


def _in_scope(budget: Any, cluster: str, namespace: str | None = None) -> bool:
    if budget.cluster_id is not None and cluster != budget.cluster.name:
        return False
    return budget.scope != "namespace" or namespace == budget.namespace


def _namespace_watts(now: ClusterNow, namespace: str) -> float:
    """Power now of a namespace's pods (those whose power counts, as the breakdown counts them)."""
    return sum(p.power_watts for p in counted_pods(now.snapshot) if p.namespace == namespace)


def _rate_per_hour(budget: Any, now: ClusterNow, site: Site) -> float | None:
    """The budget's measure per hour at the power now, for one cluster."""
    power = cluster_power(now.snapshot, site, now.facility)
    watts = _namespace_watts(now, budget.namespace) if budget.scope == "namespace" else power.it_power_watts
    if watts is None:
        return None
    if budget.measure == "energy_kwh":
        return watts / 1000.0
    rates = rate_fields(watts, power.pue, site) if power.pue else {}
    if budget.measure == "carbon_kg":
        grams = rates.get("carbon_grams_per_hour")
        return None if grams is None else grams / 1000.0
    return rates.get("cost_per_hour")


def progress(
    budget: Any,
    bounds: tuple[datetime, datetime],
    at: datetime,
    energy: tuple[list[dict], list[dict], list[str]],
    now_results: list,
    sites: dict[str, Site],
) -> Progress:
    """Progress of ``budget`` at ``at`` from its period's energy rows and the power-now fan-out.

    ``energy``: (rows by cluster, rows by namespace, clusters that did not answer).
    """
    by_cluster, by_namespace, failed = energy
    out = Progress(budget, *bounds)
    rows = by_namespace if budget.scope == "namespace" else by_cluster
    read = _ROW[budget.measure]
    used = 0.0
    for row in rows:
        # Idle rows are a cluster's too (its nodes drew it), but no namespace's.
        if (row.get("idle") and budget.scope == "namespace") or not _in_scope(
            budget, row["cluster"], row.get("namespace")
        ):
            continue
        if budget.measure == "cost" and (row.get("currency") or "") != budget.currency:
            if row["cluster"] not in out.excluded_clusters:
                out.excluded_clusters.append(row["cluster"])
            continue
        value = read(row)
        if value is None:
            continue
        used += value
    out.missing_clusters = [name for name in failed if _in_scope(budget, name, budget.namespace or None)]
    out.used = used
    remaining_hours = max(0.0, (bounds[1] - at).total_seconds() / 3600.0)
    rate = 0.0
    for result in now_results:
        name = result.cluster.name
        if not result.ok or name in out.excluded_clusters or not _in_scope(budget, name, budget.namespace or None):
            continue
        per_hour = _rate_per_hour(budget, result.value, sites[name])
        if per_hour is not None:
            rate += per_hour
    out.projected = None if out.used is None else out.used + rate * remaining_hours
    return out

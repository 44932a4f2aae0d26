"""The numbers of the management report, from the same services as the JSON API.

One fan-out, one worker per cluster, running

* :func:`monitoring.services.efficiency.fetch_efficiency` (the ``/monitoring/
  efficiency`` request: the energy query of ``/monitoring/energy`` plus the idle and
  utilisation parts, the accelerators' two device requests and the facility query);
  its ``energy`` is the very :class:`ClusterEnergy` ``/monitoring/energy`` groups, so
  energy by cluster and top namespaces come from :func:`grouping.group_energy` over
  it instead of asking Prometheus for the same counters twice;
* :func:`monitoring.services.timeseries.fetch_series` (one range query) for the
  power chart and for the window's **coverage**: where a cluster has no samples at
  the start (or end) of the window, e.g. beyond its Prometheus retention, the report
  says from when to when it has data instead of pretending the figures cover it all.

So a report costs a constant number of PromQL requests per cluster (efficiency 1,
devices 2, range 1, facility 0-1), whatever the fleet's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.threads import beside
from exports.report.period import Window
from kcloud.api.params import choose_step
from kcloud.timeutil import from_unix, utcnow
from monitoring.economics import Site
from monitoring.services import efficiency, grouping, timeseries

TOP_NAMESPACES = 10
CHART_POINTS = 288  # 5-minute resolution for a day; hours for a month
MIN_CHART_STEP_SECONDS = 30  # the clusters' scrape interval
_ENERGY_FIELDS = (*grouping.KWH_FIELDS, "facility_energy_kwh", "carbon_grams", "cost")


@dataclass
class Coverage:
    """Where a cluster has power samples in the window (None = none at all)."""

    cluster: str
    first: datetime | None
    last: datetime | None
    complete: bool
    covered_hours: float | None


@dataclass
class Report:
    """Everything both renderers print; plain values, units in the names."""

    window: Window
    generated_at: datetime
    clusters: list[str]
    requested: list[str]  # the names the caller asked for (empty = every visible cluster)
    outcomes: list[dict]
    missing: list[str]
    kpis: dict
    by_cluster: list[dict]
    top_namespaces: list[dict]
    namespace_count: int
    series_timestamps: list[datetime]
    series: list[dict]  # {cluster, power_watts: [...]}, aligned with series_timestamps
    series_step_seconds: int
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.missing)

    @property
    def incomplete(self) -> list[Coverage]:
        return [c for c in self.coverage if not c.complete]

    @property
    def notes(self) -> list[str]:
        """Plain statements of what the figures do not cover (printed in both formats, in the active language)."""
        out = []
        for o in self.outcomes:
            if o["status"] != "ok":
                out.append(
                    gettext("%(cluster)s did not answer (%(error)s); it is missing from every figure.")
                    % {"cluster": o["name"], "error": o["error"]}
                )
        for c in self.incomplete:
            if c.first is None:
                out.append(
                    gettext(
                        "%(cluster)s has no power data in this window (outside its Prometheus retention "
                        "or not yet monitored); its figures are empty, not zero."
                    )
                    % {"cluster": c.cluster}
                )
            else:
                out.append(
                    gettext(
                        "%(cluster)s has data only from %(first)s to %(last)s UTC (%(covered)s of %(hours)s h): "
                        "the window reaches beyond its Prometheus history, and its figures cover only that part."
                    )
                    % {
                        "cluster": c.cluster,
                        "first": f"{c.first:%Y-%m-%d %H:%M}",
                        "last": f"{c.last:%Y-%m-%d %H:%M}",
                        "covered": f"{c.covered_hours:.1f}",
                        "hours": f"{self.window.seconds / 3600:.1f}",
                    }
                )
        return out


def _fetch(client: Any, cluster: Any, site: Site, window: Window, step: int) -> tuple:
    """Efficiency (with energy) and the power series of one cluster; runs in a fan-out worker."""
    from accelerators import devices

    start, end = window.start.timestamp(), window.end.timestamp()
    # The devices (and the placement they carry) first; then the range query runs beside the
    # efficiency request, both using them: the cluster costs its slowest request.
    inventory = devices.fetch_accelerators(client, cluster, at=end)
    series = beside(timeseries.fetch_series, client, cluster, start, end, step, False, inventory.placement)
    eff = efficiency.fetch_efficiency(client, cluster, site, end, window.seconds, inventory)
    return eff, series.result()


def _coverage(name: str, values: list[float | None], stamps: list[float], step: int) -> Coverage:
    known = [ts for ts, v in zip(stamps, values, strict=True) if v is not None]
    if not known:
        return Coverage(name, None, None, False, None)
    first, last = known[0], known[-1]
    # Two steps of slack: rates need a couple of samples, and the last point may not be scraped yet.
    complete = first <= stamps[0] + 2 * step and last >= stamps[-1] - 2 * step
    return Coverage(name, from_unix(first), from_unix(last), complete, (last - first) / 3600)


def _pue_summary(by_cluster: list[dict]) -> str:
    """``measured``/``configured`` when every cluster agrees, else who has which (``mixed: ...``)."""
    sources = {r["cluster"]: r["pue_source"] for r in by_cluster}
    distinct = set(sources.values())
    if len(distinct) == 1:
        return distinct.pop()
    if not distinct:
        return "unavailable"
    parts = [f"{name} {source}" for name, source in sorted(sources.items())]
    # Translators: %(sources)s lists each cluster with its PUE source, e.g. "seoul-a measured, busan-b configured".
    return gettext("mixed: %(sources)s") % {"sources": ", ".join(parts)}


def _by_cluster(energy_rows: list[dict], eff_rows: list[dict]) -> list[dict]:
    """One row per cluster: its energy rows (pods + idle) added up as the API adds its totals, plus efficiency."""
    per_cluster: dict[str, list[dict]] = {}
    for r in energy_rows:
        per_cluster.setdefault(r["cluster"], []).append(r)
    eff = {r["cluster"]: r for r in eff_rows}
    out = []
    # Every answering cluster gets a row, also one that reported no energy at all (its figures stay empty).
    names = list(dict.fromkeys([*per_cluster, *eff]))
    for name in names:
        rows = per_cluster.get(name, [])
        sums = grouping.totals_of(rows, [])
        e = eff.get(name, {})
        measured = e.get("it_energy_kwh") is not None
        first = rows[0] if rows else {"pue": e.get("pue"), "pue_source": e.get("pue_source"), "currency": None}
        out.append(
            {
                "cluster": name,
                **{k: sums[k] for k in _ENERGY_FIELDS},
                "pue": first["pue"],
                "pue_source": first["pue_source"] or "unavailable",
                "currency": first["currency"] or e.get("currency"),
                "gpu_utilization_percent": e.get("gpu_utilization_percent"),
                "npu_utilization_percent": e.get("npu_utilization_percent"),
                # No energy counters answered in the window: "0 kWh wasted" would be invented.
                "idle_waste_kwh": e.get("idle_waste_kwh") if measured else None,
                "idle_waste_share_percent": e.get("idle_waste_share_percent") if measured else None,
                "idle_waste_cost": e.get("cost") if measured else None,
            }
        )
    return out


def _kpis(totals: dict, by_cluster: list[dict], eff_totals: dict, eff_rows: list[dict]) -> dict:
    it, facility = totals.get("energy_kwh"), totals.get("facility_energy_kwh")
    it_wall = [r["it_energy_kwh"] for r in eff_rows if r.get("it_energy_kwh") is not None]
    # Idle waste is only known where energy was measured (a cluster without data in the window says nothing).
    measured = bool(it_wall)
    waste = eff_totals.get("idle_waste_kwh") if measured else None
    costs: dict[str, float] = {}
    for row in by_cluster:
        if row.get("cost") is not None:
            costs[row["currency"] or ""] = costs.get(row["currency"] or "", 0.0) + row["cost"]
    return {
        "it_energy_kwh": it,
        "facility_energy_kwh": facility,
        # The fleet's PUE is its facility energy over its IT energy (each cluster's own PUE weighted by energy).
        "pue": facility / it if facility is not None and it else None,
        "pue_source": _pue_summary(by_cluster),
        "carbon_grams": totals.get("carbon_grams"),
        "cost": totals.get("cost"),
        "currency": totals.get("currency"),
        "cost_by_currency": sorted(costs.items()),
        "gpu_utilization_percent": eff_totals.get("gpu_utilization_percent"),
        "npu_utilization_percent": eff_totals.get("npu_utilization_percent"),
        "idle_waste_kwh": waste,
        # Share of the IT energy as the efficiency API measures it (DCMI wall energy where a node has it).
        "idle_waste_share_percent": 100.0 * waste / sum(it_wall) if waste is not None and sum(it_wall) else None,
        "idle_waste_cost": eff_totals.get("cost") if measured else None,
        "idle_waste_currency": eff_totals.get("currency") if measured else None,
    }


def build_report(
    clusters: list[Any], window: Window, *, requested: list[str] | None = None, now: datetime | None = None
) -> Report:
    """Fetch and assemble the report of ``clusters`` (already scope-checked Cluster rows) over ``window``."""
    sites = {c.name: Site.of(c) for c in clusters}  # read before the fan-out: workers never touch the database
    step = choose_step(window.seconds, min_step=MIN_CHART_STEP_SECONDS, points=CHART_POINTS)
    results = fan_out(clusters, lambda client, c: _fetch(client, c, sites[c.name], window, step))
    energy = [replace(r, value=r.value[0].energy if r.ok else None) for r in results]
    eff: list[ClusterResult] = [replace(r, value=r.value[0] if r.ok else None) for r in results]
    series: list[ClusterResult] = [replace(r, value=r.value[1] if r.ok else None) for r in results]

    cluster_rows, totals, _pues = grouping.group_energy(energy, sites, "cluster", "node")
    ns_rows, _ns_totals, _ = grouping.group_energy(energy, sites, "namespace", "node")
    eff_body = efficiency.summarize(eff, sites, top=TOP_NAMESPACES)
    by_cluster = _by_cluster(cluster_rows, eff_body["rows"])

    namespaces = sorted((r for r in ns_rows if not r["idle"]), key=lambda r: -(r["energy_kwh"] or 0.0))
    fleet_it = totals.get("energy_kwh")
    top = []
    for r in namespaces[:TOP_NAMESPACES]:
        share = 100.0 * r["energy_kwh"] / fleet_it if fleet_it and r["energy_kwh"] is not None else None
        top.append({**r, "share_percent": share})

    n = window.seconds // step + 1
    stamps = [window.start.timestamp() + i * step for i in range(n)]
    series_rows = timeseries.group_series(series, "cluster", stamps)
    coverage = [_coverage(r["cluster"], r["power_watts"], stamps, step) for r in series_rows]

    return Report(
        window=window,
        generated_at=(now or utcnow()).replace(microsecond=0),
        clusters=[c.name for c in clusters],
        requested=list(requested or []),
        outcomes=[r.outcome() for r in results],
        missing=[r.cluster.name for r in results if not r.ok],
        kpis=_kpis(totals, by_cluster, eff_body["totals"], eff_body["rows"]),
        by_cluster=by_cluster,
        top_namespaces=top,
        namespace_count=len(namespaces),
        series_timestamps=[from_unix(ts) for ts in stamps],
        series=series_rows,
        series_step_seconds=step,
        coverage=coverage,
    )

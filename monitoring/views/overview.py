"""The fleet overview (the landing page): power now, PUE, carbon and cost per cluster, health, accelerators.

Power figures come from one fan-out of :func:`monitoring.services.power.fan_out_now`
(the same snapshots feed the per-cluster table, the KPIs and the top namespaces: no
extra query); the 24 h chart and the idle waste are fetched by the browser from the
JSON API (``timeseries/power`` and ``efficiency``) so the page renders without
waiting for them, and a dead cluster only greys out its own row.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from accelerators.services.summary import summary_context as accelerator_summary
from clusters.health import clusters_with_fresh_health, health_summary
from clusters.prometheus.cache import evaluation_time
from clusters.scope import Principal
from kcloud import timerange
from kcloud.timeutil import from_unix
from monitoring.services import power
from monitoring.services.answers import sites_of
from monitoring.views.alerts import alerting_context

# The monitoring power page's formatting of the same rows (one way to show them).
from monitoring.views.power import cluster_row, dead_row, fleet_kpis, top_namespaces


def _power_context(clusters: list) -> dict:
    at = evaluation_time(None)
    sites = sites_of(clusters)
    results = power.fan_out_now(clusters, sites, at)
    body = power.fleet_power(results, sites)
    answered = {r["cluster"]: cluster_row(r) for r in body["by_cluster"]}
    return {
        "kpis": fleet_kpis(body),
        "power_rows": [answered.get(r.cluster.name) or dead_row(r.cluster.name, r.error) for r in results],
        "top_namespaces": top_namespaces(results, sites, top=5),
        "partial": body["partial"],
        "missing": body["missing_clusters"],
        "evaluated_at": from_unix(at),
    }


@login_required
def overview(request):
    """Fleet overview: power and money now, the range's chart and idle waste, top namespaces, cluster health."""
    principal = Principal.from_request(request)
    clusters = clusters_with_fresh_health(principal)
    context: dict = {"clusters": clusters, "summary": health_summary(clusters), **alerting_context(principal)}
    if clusters:
        context.update(_power_context(clusters))
        context["accelerators"] = accelerator_summary(clusters)
        time_range = timerange.for_request(request)
        chart_query = [("group_by", "cluster"), *time_range.api_params]
        context["chart_url"] = f"{reverse('api-monitoring-timeseries-power')}?{urlencode(chart_query)}"
        waste_query = [*timerange.window_params(time_range), ("top", 5)]
        context["efficiency_url"] = f"{reverse('api-monitoring-efficiency')}?{urlencode(waste_query)}"
    return render(request, "clusters/overview.html", context)

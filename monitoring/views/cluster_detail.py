"""The cluster detail page (``/clusters/<name>/``): summary KPIs and the topology graph.

The KPIs come from the same service as ``/api/v1/clusters/{name}/summary``; the graph
is drawn in the browser (static/js/cluster-topology.js) from
``/api/v1/clusters/{name}/topology`` evaluated at the same instant, so both read the
same cached snapshot.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clusters.placement import diagnostics
from clusters.placement.model import RULES
from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary, fan_out
from clusters.scope import Principal, select_clusters
from kcloud.api.errors import ApiError
from kcloud.timeutil import from_unix
from monitoring.services import clusters as analytics
from monitoring.services.answers import sites_of
from monitoring.services.power import fan_out_now
from monitoring.views.alerts import alerting_context
from monitoring.views.common import RESOURCE_LABELS, pue_cell


def _kpis(body: dict) -> dict:
    """The summary's figures for the KPI tiles (None for every unknown one: the template prints "—")."""
    return {
        "power": body.get("it_power_watts"),
        "facility": body.get("facility_power_watts"),
        "pue": pue_cell(body.get("pue"), body.get("pue_source"), body.get("pue_error")),
        "carbon": body.get("carbon_grams_per_hour"),
        "cost": body.get("cost_per_hour"),
        "currency": body.get("currency"),
    }


def _devices(counts: dict | None) -> dict | None:
    if not counts or not counts.get("total"):
        return None
    return {k: counts.get(k, 0) for k in ("total", "active", "idle", "unavailable")}


def _by_type(body: dict) -> list[dict]:
    it = body.get("it_power_watts")
    parts = body.get("power_by_resource_type") or {}
    rows = []
    for key, label in RESOURCE_LABELS.items():
        watts = parts.get(key)
        share = None if watts is None or not it else 100.0 * watts / it
        rows.append({"key": key, "label": label, "power": watts, "share": share})
    return rows


@login_required
def cluster_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One cluster: power, PUE, carbon and cost rates, devices and pods, Prometheus; its topology graph."""
    principal = Principal.from_request(request)
    try:
        (cluster,) = select_clusters(principal, [name])
    except ApiError as exc:
        raise Http404(str(exc.detail)) from exc
    at = evaluation_time(None)
    sites = sites_of([cluster])
    (result,) = fan_out_now([cluster], sites, at)
    body = analytics.summary(result, sites[cluster.name])
    nodes = sorted(result.value.snapshot.nodes) if result.ok else []
    topology_url = f"{reverse('api-clusters-topology', args=[cluster.name])}?{urlencode({'time': int(at)})}"
    (placement,) = fan_out([cluster], lambda client, c: diagnostics.diagnose(client, c, at, cached=True))
    context = {
        "cluster": cluster,
        "ok": result.ok,
        "error": result.error,
        "summary": down_summary([result]),
        "body": body,
        "kpis": _kpis(body),
        "gpus": _devices(body.get("gpus")),
        "npus": _devices(body.get("npus")),
        "by_type": _by_type(body) if result.ok else [],
        "prometheus": body["prometheus"],
        "nodes": nodes,
        "topology_url": topology_url,
        "evaluated_at": from_unix(at),
        "placement": placement.value if placement.ok else None,
        "placement_rules": [(rule, diagnostics.RULE_TITLES[rule]) for rule in RULES],
        **alerting_context(principal, cluster.name),
    }
    return render(request, "clusters/detail.html", context)

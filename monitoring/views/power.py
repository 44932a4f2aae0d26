"""The fleet power page (``/monitoring/``): power now, PUE, carbon and cost rates, a 24 h stacked chart."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.timeutil import from_unix
from kcloud.web import values
from monitoring.services import breakdown, power
from monitoring.services.answers import sites_of
from monitoring.services.power import known_sum
from monitoring.views.common import RESOURCE_LABELS, by_currency, pue_cell


def cluster_row(row: dict) -> dict:
    """A cluster's row of the power table (monitoring/_cluster_power_table.html formats it)."""
    return {
        "cluster": row["cluster"],
        "ok": True,
        "power": row["power_watts"],
        "share": row["share_percent"],
        "facility": row["facility_power_watts"],
        "pue": pue_cell(row["pue"], row["pue_source"], row["pue_error"]),
        "carbon": row["carbon_grams_per_hour"],
        "cost": row["cost_per_hour"],
        "currency": row["currency"],
        "nodes_reporting": row["nodes_reporting"],
        "nodes": row["nodes"],
        "accel": _accel(row),
    }


def _accel(row: dict) -> float | None:
    gpu, npu = row["gpu_power_watts"], row["npu_power_watts"]
    return None if gpu is None and npu is None else (gpu or 0.0) + (npu or 0.0)


def dead_row(name: str, error: str | None) -> dict:
    return {"cluster": name, "ok": False, "error": error or _("not answering"), "pue": pue_cell(None, None)}


def _without(rows: list[dict], name: str) -> list[str]:
    """Clusters with power but no ``name`` (no PUE, intensity or price): left out of a fleet figure."""
    return [r["cluster"] for r in rows if r["power_watts"] is not None and r[name] is None]


def _names(names: list[str], total: int) -> str:
    """``"a, b"`` or ``"a, b and 3 more"``; ``"any cluster"`` when it is every one."""
    if len(names) == total:
        return _("any cluster")
    if len(names) <= 2:
        return ", ".join(names)
    return _("%(names)s and %(count)s more") % {"names": ", ".join(names[:2]), "count": len(names) - 2}


def _missing(text: str, names: list[str], rows: list[dict]) -> str:
    """``text`` (with ``%(clusters)s``) naming the clusters left out of a fleet figure."""
    return text % {"clusters": _names(names, len(rows))}


def fleet_kpis(body: dict) -> dict:
    rows = body["by_cluster"]
    costs = by_currency(rows, "cost_per_hour")
    reporting = sum(r["nodes_reporting"] for r in rows)
    nodes = sum(r["nodes"] for r in rows)
    no_pue = [r["cluster"] for r in rows if r["pue"] is None]
    no_carbon, no_cost = _without(rows, "carbon_grams_per_hour"), _without(rows, "cost_per_hour")
    return {
        "power": body["total_power_watts"],
        "power_sub": _("%(reporting)s of %(nodes)s nodes reporting") % {"reporting": reporting, "nodes": nodes},
        "facility": body["facility_power_watts"],
        "facility_sub": _missing(_("no PUE for %(clusters)s"), no_pue, rows) if no_pue else _("IT power x PUE"),
        "pue": body["pue"],
        "pue_sub": _missing(_("no PUE for %(clusters)s"), no_pue, rows) if no_pue else _("facility / IT power"),
        "carbon": known_sum([r["carbon_grams_per_hour"] for r in rows]),
        "carbon_sub": (
            _missing(_("not known for %(clusters)s"), no_carbon, rows) if no_carbon else _("facility kWh x intensity")
        ),
        # (amount, currency, digits) for the ``amounts`` filter: a KPI tile has room for whole units; the table
        # keeps the cents.
        "costs": [(v, c, 0 if v >= 100 else 2) for c, v in costs],
        "cost_sub": (
            _missing(_("not known for %(clusters)s"), no_cost, rows) if no_cost else _("per hour: facility kWh x price")
        ),
    }


def _by_type(body: dict) -> list[dict]:
    return [
        {
            "key": t["resource_type"],
            "label": RESOURCE_LABELS[t["resource_type"]],
            "power": t["power_watts"],
            "share": t["share_percent"],
        }
        for t in body["by_resource_type"]
    ]


def top_namespaces(results: list, sites: dict, top: int = 6) -> list[dict]:
    """The namespaces drawing the most power now (from the same snapshots: no extra query)."""
    rows, _totals = breakdown.breakdown(results, sites, "namespace")
    groups = sorted(
        (r for r in rows if r["kind"] == "group" and r["power_watts"] is not None), key=lambda r: -r["power_watts"]
    )
    return [
        {
            "namespace": r["namespace"],
            "cluster": r["cluster"],
            "power": r["power_watts"],
            "share": r["share_percent"],
        }
        for r in groups[:top]
    ]


@login_required
def power_page(request: HttpRequest) -> HttpResponse:
    """Fleet power now per cluster with PUE (and its source), carbon and cost per hour; the 24 h chart."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "power",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "selected": values(request, "cluster"),
        "error": None,
    }
    try:
        clusters = select_clusters(principal, context["selected"])
    except ApiError as exc:
        context["error"] = str(exc.detail)
        return render(request, "monitoring/power.html", context, status=400)
    at = evaluation_time(None)
    sites = sites_of(clusters)
    results = power.fan_out_now(clusters, sites, at)
    body = power.fleet_power(results, sites)
    answered = {r["cluster"]: cluster_row(r) for r in body["by_cluster"]}
    rows = [answered.get(r.cluster.name) or dead_row(r.cluster.name, r.error) for r in results]
    query = [
        ("group_by", "cluster"),
        *(("cluster", c.name) for c in clusters if context["selected"]),
        *timerange.for_request(request).api_params,
    ]
    context.update(
        kpis=fleet_kpis(body),
        rows=rows,
        by_type=_by_type(body),
        top_namespaces=top_namespaces(results, sites),
        partial=body["partial"],
        missing=body["missing_clusters"],
        summary=down_summary(results),
        chart_url=f"{reverse('api-monitoring-timeseries-power')}?{urlencode(query)}",
        evaluated_at=from_unix(at),
        has_clusters=bool(clusters),
    )
    return render(request, "monitoring/power.html", context)

"""The energy report (``/monitoring/energy/``): kWh by part, facility kWh, carbon and cost per group."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.prometheus.fanout import down_summary, fan_out
from clusters.scope import Principal, select_clusters
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.api.params import parse_choice
from kcloud.templatetags.display import DASH
from kcloud.web import values
from monitoring.services import grouping
from monitoring.services.answers import sites_of
from monitoring.services.energy import fetch_energy
from monitoring.views.common import by_currency, pue_cell

PAGE_SIZE = 50
GROUP_BYS = ("namespace", "cluster", "node")  # the report's groupings (the API also has pod)
GROUP_LABELS = {"namespace": _("Namespace"), "cluster": _("Cluster"), "node": _("Node")}
IDLE_LABELS = {"node": _("as rows of their own"), "share": _("shared over the node's pods")}


def _group_cells(group_by: str, row: dict) -> dict:
    idle = row.get("idle")
    # key: the row's data-key/data-row (English, stable); label: what an idle row prints (translated).
    if group_by == "cluster":
        key = f"{row['cluster']} · idle" if idle else row["cluster"]
        label = gettext("%(cluster)s · idle") % {"cluster": row["cluster"]} if idle else key
    elif group_by == "node":
        key = label = row.get("node") or DASH
    else:
        key = "Idle" if idle else (row.get("namespace") or DASH)
        label = gettext("Idle") if idle else key
    return {
        "key": key,
        "label": label,
        "idle": bool(idle),
        "node": row.get("node") if idle and group_by == "namespace" else "",
    }


def _row(group_by: str, row: dict) -> dict:
    return {
        **_group_cells(group_by, row),
        "cluster": row.get("cluster") or DASH,
        "cpu": row["cpu_energy_kwh"],
        "dram": row["dram_energy_kwh"],
        "gpu": row["gpu_energy_kwh"],
        "npu": row["npu_energy_kwh"],
        "it": row["energy_kwh"],
        "facility": row["facility_energy_kwh"],
        "pue": pue_cell(row.get("pue"), row.get("pue_source")),
        "carbon_kg": _kg(row["carbon_grams"]),
        "cost": row["cost"],
        "currency": row.get("currency"),
    }


def _total_costs(rows: list[dict], totals: dict) -> list[tuple[float | None, str | None, int]]:
    """The total cost as (amount, currency, digits) for the ``amounts`` filter.

    One per currency when the clusters' currencies differ: money in different currencies never adds up.
    """
    costs = by_currency(rows, "cost")
    if totals.get("cost") is None and len(costs) > 1 and all(r["cost"] is not None for r in rows if r["energy_kwh"]):
        return [(v, c, 2) for c, v in costs]
    return [(totals.get("cost"), totals.get("currency"), 2)]


def _kg(grams: float | None) -> float | None:
    return None if grams is None else grams / 1000.0


@login_required
def energy_page(request: HttpRequest) -> HttpResponse:
    """Energy between two dates per namespace, cluster or node, with facility energy, carbon and cost."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "energy",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "group_bys": [(g, GROUP_LABELS[g]) for g in GROUP_BYS],
        "idle_modes": list(IDLE_LABELS.items()),
        "selected": {
            "cluster": values(request, "cluster"),
            "group_by": request.GET.get("group_by") or "namespace",
            "idle": request.GET.get("idle") or "node",
        },
        "error": None,
    }
    try:
        group_by = parse_choice("group_by", request.GET.get("group_by") or None, GROUP_BYS, default="namespace")
        idle = parse_choice("idle", request.GET.get("idle") or None, grouping.IDLE_MODES, default="node")
        clusters = select_clusters(principal, context["selected"]["cluster"])
    except ApiError as exc:
        context["error"] = str(exc.detail)
        return render(request, "monitoring/energy.html", context, status=400)
    # The page's range (at least 5 minutes: kcloud.timerange.MIN_SPAN), its end cut to the minute.
    span = timerange.for_request(request)
    window = span.seconds
    sites = sites_of(clusters)
    end = span.end.timestamp()
    results = fan_out(clusters, lambda client, c: fetch_energy(client, c, sites[c.name], end, window))
    rows, totals, _pues = grouping.group_energy(results, sites, group_by, idle)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = [*span.api_params, ("group_by", group_by), ("idle", idle)]
    query += [("cluster", c.name) for c in clusters] if context["selected"]["cluster"] else []
    context.update(
        group_by=group_by,
        group_label=GROUP_LABELS[group_by],
        idle_label=IDLE_LABELS[idle],
        start=span.start,
        end=span.end,
        range_label=span.label,
        hours=window / 3600,
        rows=[_row(group_by, r) for r in page.object_list],
        count=len(rows),
        page=page,
        totals={
            "cpu": totals.get("cpu_energy_kwh"),
            "dram": totals.get("dram_energy_kwh"),
            "gpu": totals.get("gpu_energy_kwh"),
            "npu": totals.get("npu_energy_kwh"),
            "it": totals.get("energy_kwh"),
            "facility": totals.get("facility_energy_kwh"),
            "carbon_kg": _kg(totals.get("carbon_grams")),
            "costs": _total_costs(rows, totals),
        },
        no_pue=sorted({r["cluster"] for r in rows if r["energy_kwh"] and r.get("pue") is None}),
        partial=totals["partial"],
        missing=totals["missing_clusters"],
        summary=down_summary(results),
        json_url=f"{reverse('api-monitoring-energy')}?{urlencode(query)}",
    )
    return render(request, "monitoring/energy.html", context)

"""The power breakdown page (``/monitoring/breakdown/``): groups that add up to the fleet's IT power."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.api.params import parse_choice
from kcloud.templatetags.display import DASH, model_label, vendor_label
from kcloud.timeutil import from_unix, isoformat
from kcloud.web import values
from monitoring.services import breakdown, power, timeseries
from monitoring.services.answers import sites_of
from monitoring.views.common import RESOURCE_LABELS, RESOURCE_NAMES

PAGE_SIZE = 50
BY_LABELS = {
    "cluster": _("Cluster"),
    "node": _("Node"),
    "namespace": _("Namespace"),
    "pod": _("Pod"),
    "resource_type": _("Resource type"),
    "vendor": _("Vendor"),
    "model": _("Model"),
}
# kind: (the row's key, in English; its label and hint, as the page prints them)
SPECIAL = {
    "idle": (
        "Idle",
        _("Idle"),
        _("node power no pod is charged for: idle power, system processes, unallocated devices"),
    ),
    "unattributed": (
        "Unattributed",
        _("Unattributed"),
        _("power the groups above do not cover (e.g. wall power beyond the parts)"),
    ),
}


def _label(by: str, row: dict, english: bool = False) -> str:
    """The group's name: printed (translated), and in English as the row's ``data-key``."""
    if by == "resource_type":
        names = RESOURCE_NAMES if english else RESOURCE_LABELS
        return names.get(row["resource_type"], row["resource_type"])
    if by == "vendor":
        return vendor_label(row["vendor"])
    if by == "model":
        return f"{vendor_label(row['vendor'])} {model_label(row['model'])}"
    if by == "pod":
        return f"{row['namespace']}/{row['pod']}"
    return row[by] or DASH


def _row(by: str, row: dict) -> dict:
    special = SPECIAL.get(row["kind"])
    return {
        "kind": row["kind"],
        "key": special[0] if special else _label(by, row, english=True),
        "label": special[1] if special else _label(by, row),
        "hint": special[2] if special else "",
        "cluster": row.get("cluster") if by in ("node", "namespace", "pod") and not special else "",
        "power": row["power_watts"],
        "energy": row["energy_kwh"],
        "share": row["share_percent"],
        "swatch": row["resource_type"] if by == "resource_type" else None,
    }


def _power_first(row: dict) -> tuple:
    return (row["power_watts"] is None, -(row["power_watts"] or 0.0))


@login_required
def breakdown_page(request: HttpRequest) -> HttpResponse:
    """Power now and energy over a window, grouped; explicit idle and unattributed rows and the total."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "breakdown",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "bys": [(b, BY_LABELS[b]) for b in breakdown.BYS],
        "selected": {"cluster": values(request, "cluster"), "by": request.GET.get("by") or "cluster"},
        "error": None,
    }
    try:
        by = parse_choice("by", request.GET.get("by") or None, breakdown.BYS, default="cluster")
        clusters = select_clusters(principal, context["selected"]["cluster"])
    except ApiError as exc:
        context["error"] = str(exc.detail)
        return render(request, "monitoring/breakdown.html", context, status=400)
    # Energy over the page's range; power at its end ("now" while the range is rolling).
    time_range = timerange.for_request(request)
    at = time_range.evaluation_instant(evaluation_time(None))
    window = time_range.seconds
    sites = sites_of(clusters)
    results = power.fan_out_now(clusters, sites, at, window)
    rows, totals = breakdown.breakdown(results, sites, by)
    groups = sorted((r for r in rows if r["kind"] == "group"), key=_power_first)
    page = Paginator(groups, PAGE_SIZE).get_page(request.GET.get("page"))
    chart_url = None
    if by in timeseries.GROUP_BYS:
        query = [("group_by", by), ("start", isoformat(from_unix(at - window))), ("end", isoformat(from_unix(at)))]
        query += [("cluster", c.name) for c in clusters] if context["selected"]["cluster"] else []
        chart_url = f"{reverse('api-monitoring-timeseries-power')}?{urlencode(query)}"
    api_query = [("by", by), ("window", f"{window}s"), ("time", str(int(at)))]
    context.update(
        by=by,
        by_label=BY_LABELS[by],
        window_label=time_range.label,
        power_now=time_range.ends_now,
        with_cluster=by in ("node", "namespace", "pod"),
        rows=[_row(by, r) for r in page.object_list],
        special=[_row(by, r) for r in rows if r["kind"] != "group"],
        page=page,
        groups=len(groups),
        total={"power": totals["power_watts"], "energy": totals["energy_kwh"]},
        partial=totals["partial"],
        missing=totals["missing_clusters"],
        summary=down_summary(results),
        chart_url=chart_url,
        api_url=f"{reverse('api-monitoring-power-breakdown')}?{urlencode(api_query)}",
        evaluated_at=from_unix(at),
    )
    return render(request, "monitoring/breakdown.html", context)

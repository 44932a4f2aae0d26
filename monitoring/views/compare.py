"""The comparison page (``/clusters/compare/``): every visible cluster side by side over a window.

Rows come from the same service as ``/api/v1/clusters/compare``; each figure has a
small bar scaled to the largest value of its column, so the clusters compare at a glance.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.timeutil import from_unix
from monitoring.services import clusters as analytics
from monitoring.services.answers import sites_of
from monitoring.services.power import fan_out_now
from monitoring.views.common import pue_cell

DEFAULT_WINDOW = "24h"
# (field, heading, unit, digits): the columns that get a bar.
BARRED = (
    ("power_watts", _("Power now"), "W", 0),
    ("energy_kwh", _("Energy"), "kWh", 2),
    ("carbon_grams", _("Carbon"), "g CO₂e", 0),
    ("gpu_utilization_percent", _("GPU util."), "%", 1),
    ("idle_gpu_share_percent", _("Idle GPUs"), "%", 1),
)


def _bar(value: float | None, top: float | None) -> float | None:
    if value is None or not top:
        return None
    return max(0.0, min(100.0, 100.0 * value / top))


def _cells(rows: list[dict]) -> list[dict]:
    """Per row: the figures, how to print them and bar widths relative to the column's largest value."""
    tops = {}
    for field, *_rest in BARRED:
        known = [r[field] for r in rows if r.get(field) is not None]
        # Percentages are on their own scale; everything else relative to the largest cluster.
        tops[field] = 100.0 if field.endswith("_percent") else (max(known) if known else None)
    costs = [r["cost"] for r in rows if r.get("cost") is not None]
    single_currency = len({r.get("currency") for r in rows if r.get("cost") is not None}) <= 1
    out = []
    for r in rows:
        if r["status"] != "ok":
            out.append({"cluster": r["cluster"], "ok": False, "error": r.get("error") or gettext("not answering")})
            continue
        cell = {"cluster": r["cluster"], "ok": True, "values": []}
        for field, _heading, unit, digits in BARRED:
            value = r.get(field)
            # The heading names every other unit; a percentage carries its sign in the cell.
            suffix = unit if unit == "%" else ""
            cell["values"].append(
                {"field": field, "value": value, "digits": digits, "unit": suffix, "bar": _bar(value, tops[field])}
            )
        cost_bar = _bar(r.get("cost"), max(costs)) if costs and single_currency else None
        cell.update(
            pue=pue_cell(r.get("pue"), r.get("pue_source")),
            facility=r.get("facility_energy_kwh"),
            cost={"value": r.get("cost"), "currency": r.get("currency"), "bar": cost_bar},
            gpus=r.get("gpus"),
        )
        out.append(cell)
    return out


@login_required
def compare_page(request: HttpRequest) -> HttpResponse:
    """Power, energy over the window, PUE, carbon, cost and GPU use of every visible cluster."""
    context: dict = {"headings": [(f, h, u) for f, h, u, _d in BARRED], "error": None}
    try:
        clusters = select_clusters(Principal.from_request(request), [])
    except ApiError as exc:
        context["error"] = str(exc.detail)
        return render(request, "clusters/compare.html", context, status=400)
    # Energy, carbon and cost over the page's range; power at its end ("now" while it is rolling).
    time_range = timerange.for_request(request)
    at = time_range.evaluation_instant(evaluation_time(None))
    window = time_range.seconds
    sites = sites_of(clusters)
    results = fan_out_now(clusters, sites, at, window)
    rows = analytics.compare(results, sites)
    context.update(
        rows=_cells(rows),
        window_label=time_range.label,
        summary=down_summary(results),
        evaluated_at=from_unix(at),
        api_url=f"{reverse('api-clusters-compare')}?{urlencode({'window': f'{window}s', 'time': int(at)})}",
    )
    return render(request, "clusters/compare.html", context)

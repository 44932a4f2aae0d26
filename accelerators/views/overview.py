"""The accelerators landing page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accelerators.services import inventory, summary
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The accelerators landing page: totals by kind, vendor, model and cluster, links to the lists."""
    clusters = list(Principal.from_request(request).visible_clusters())
    fleet = inventory.collect(clusters)
    totals = inventory.summary(fleet.devices)
    context = {
        **summary.kind_summary(fleet),
        "by_model": totals["by_model"],
        "by_cluster": totals["by_cluster"],
        "summary": down_summary(fleet.results),
        "has_clusters": bool(clusters),
    }
    return render(request, "accelerators/overview.html", context)

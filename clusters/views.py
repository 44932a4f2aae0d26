"""HTML pages: the fleet overview and the cluster registry, with live health."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accelerators.views import summary_context as accelerator_summary
from clusters.health import check_clusters
from kcloud.principal import Principal
from kcloud.timeutil import utcnow

# Health older than this is refreshed when a page is opened (probes run in parallel).
STALE_AFTER = timedelta(seconds=60)


def _clusters_with_fresh_health(request) -> list:
    clusters = list(Principal.from_request(request).visible_clusters())
    now = utcnow()
    stale = [c for c in clusters if c.last_checked_at is None or now - c.last_checked_at > STALE_AFTER]
    if stale:
        check_clusters(stale)
    return clusters


def _summary(clusters: list) -> dict:
    down = [c for c in clusters if c.last_status != "ok"]
    return {"total": len(clusters), "ok": len(clusters) - len(down), "down": down}


@login_required
def overview(request):
    """Fleet overview: every visible cluster with its health and detected exporters, and the accelerators."""
    clusters = _clusters_with_fresh_health(request)
    context = {"clusters": clusters, "summary": _summary(clusters)}
    if clusters:
        context["accelerators"] = accelerator_summary(clusters)
    return render(request, "clusters/overview.html", context)


@login_required
def cluster_list(request):
    """The cluster registry as a table (carbon intensity, price, PUE settings)."""
    clusters = _clusters_with_fresh_health(request)
    return render(request, "clusters/list.html", {"clusters": clusters, "summary": _summary(clusters)})

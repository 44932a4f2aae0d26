"""The cluster registry page, and the fresh-health helper every cluster page shares."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from clusters.health import check_clusters
from kcloud.principal import Principal
from kcloud.timeutil import utcnow

# Health older than this is refreshed when a page is opened (probes run in parallel).
STALE_AFTER = timedelta(seconds=60)


def clusters_with_fresh_health(request) -> list:
    """The visible clusters, their health re-probed when older than :data:`STALE_AFTER`."""
    clusters = list(Principal.from_request(request).visible_clusters())
    now = utcnow()
    stale = [c for c in clusters if c.last_checked_at is None or now - c.last_checked_at > STALE_AFTER]
    if stale:
        check_clusters(stale)
    return clusters


def health_summary(clusters: list) -> dict:
    """The shape ``clusters/_down_notice.html`` expects, from recorded health."""
    down = [c for c in clusters if c.last_status != "ok"]
    return {"total": len(clusters), "ok": len(clusters) - len(down), "down": down}


@login_required
def cluster_list(request):
    """The cluster registry as a table (carbon intensity, price, PUE settings)."""
    clusters = clusters_with_fresh_health(request)
    return render(request, "clusters/list.html", {"clusters": clusters, "summary": health_summary(clusters)})

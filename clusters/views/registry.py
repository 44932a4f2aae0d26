"""The cluster registry page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from clusters.health import clusters_with_fresh_health, health_summary
from clusters.scope import Principal


@login_required
def cluster_list(request):
    """The cluster registry as a table (carbon intensity, price, PUE settings)."""
    clusters = clusters_with_fresh_health(Principal.from_request(request))
    return render(request, "clusters/list.html", {"clusters": clusters, "summary": health_summary(clusters)})

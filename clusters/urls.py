"""Pages of the clusters area: the fleet overview (home), the registry, cluster detail and comparison."""

from __future__ import annotations

from django.urls import path

from clusters import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("clusters/", views.cluster_list, name="clusters-page"),
    # Before <name>/: "compare" is a page, not a cluster.
    path("clusters/compare/", views.compare_page, name="clusters-compare-page"),
    path("clusters/<slug:name>/", views.cluster_detail, name="cluster-detail-page"),
]

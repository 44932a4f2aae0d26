"""Routes under /api/v1/clusters (no trailing slashes, as in the API design)."""

from __future__ import annotations

from django.urls import path

from clusters.api import views

urlpatterns = [
    path("clusters", views.ClusterListView.as_view(), name="api-clusters-list"),
    path("clusters/compare", views.ClusterCompareView.as_view(), name="api-clusters-compare"),
    path("clusters/<str:name>", views.ClusterDetailView.as_view(), name="api-clusters-detail"),
    path("clusters/<str:name>/summary", views.ClusterSummaryView.as_view(), name="api-clusters-summary"),
    path("clusters/<str:name>/power", views.ClusterPowerView.as_view(), name="api-clusters-power"),
    path("clusters/<str:name>/topology", views.ClusterTopologyView.as_view(), name="api-clusters-topology"),
]

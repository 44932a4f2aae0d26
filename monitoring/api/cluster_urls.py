"""Per-cluster analytics routes under /api/v1/clusters (mounted before the registry's ``clusters/<name>``)."""

from __future__ import annotations

from django.urls import path

from monitoring.api import clusters as views

urlpatterns = [
    path("clusters/compare", views.ClusterCompareView.as_view(), name="api-clusters-compare"),
    path("clusters/<str:name>/summary", views.ClusterSummaryView.as_view(), name="api-clusters-summary"),
    path("clusters/<str:name>/power", views.ClusterPowerView.as_view(), name="api-clusters-power"),
]

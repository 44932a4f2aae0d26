"""Routes of the cluster registry under /api/v1/clusters (no trailing slashes, as in the API design)."""

from __future__ import annotations

from django.urls import path

from clusters.api import views

urlpatterns = [
    path("clusters", views.ClusterListView.as_view(), name="api-clusters-list"),
    path("clusters/<str:name>", views.ClusterDetailView.as_view(), name="api-clusters-detail"),
]

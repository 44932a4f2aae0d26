"""Pages of the clusters area: the fleet overview (home) and the cluster registry."""

from __future__ import annotations

from django.urls import path

from clusters import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("clusters/", views.cluster_list, name="clusters-page"),
]

"""Pages of the clusters area: the registry."""

from __future__ import annotations

from django.urls import path

from clusters import views

urlpatterns = [
    path("clusters/", views.cluster_list, name="clusters-page"),
]

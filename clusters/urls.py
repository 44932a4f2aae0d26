"""Pages of the clusters area (the fleet overview is the home page)."""

from __future__ import annotations

from django.urls import path

from clusters import views

urlpatterns = [
    path("", views.overview, name="overview"),
]

"""Routes under /api/v1/system/."""

from __future__ import annotations

from django.urls import path

from system.api import views

urlpatterns = [
    path("health", views.HealthView.as_view(), name="api-system-health"),
    path("version", views.VersionView.as_view(), name="api-system-version"),
    path("metrics", views.metrics_view, name="api-system-metrics"),
]

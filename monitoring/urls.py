"""Pages of the monitoring area (power analytics)."""

from __future__ import annotations

from django.urls import path

from kcloud.pages import area_unavailable

urlpatterns = [
    path("", area_unavailable, {"area": "Monitoring"}, name="monitoring-page"),
]

"""Pages of the monitoring area (power analytics)."""

from __future__ import annotations

from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.power_page, name="monitoring-page"),
    path("breakdown/", views.breakdown_page, name="monitoring-breakdown"),
    path("energy/", views.energy_page, name="monitoring-energy"),
    path("live/", views.live_page, name="monitoring-live"),
]

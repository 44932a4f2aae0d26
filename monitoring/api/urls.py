"""API routes of the monitoring domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from monitoring.api import views

urlpatterns = [
    path("monitoring/power", views.FleetPowerView.as_view(), name="api-monitoring-power"),
    path("monitoring/power/breakdown", views.PowerBreakdownView.as_view(), name="api-monitoring-power-breakdown"),
    path("monitoring/energy", views.EnergyView.as_view(), name="api-monitoring-energy"),
    path("monitoring/efficiency", views.EfficiencyView.as_view(), name="api-monitoring-efficiency"),
    path("monitoring/timeseries/power", views.PowerTimeseriesView.as_view(), name="api-monitoring-timeseries-power"),
    path(
        "monitoring/timeseries/metrics", views.MetricTimeseriesView.as_view(), name="api-monitoring-timeseries-metrics"
    ),
]

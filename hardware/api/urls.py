"""API routes of the hardware domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from hardware.api import views

urlpatterns = [
    path("hardware/ipmi/sensors", views.SensorListView.as_view(), name="api-hardware-sensors"),
    path("hardware/ipmi/sensors/<str:node>", views.NodeSensorsView.as_view(), name="api-hardware-node-sensors"),
    path("hardware/ipmi/power", views.PowerView.as_view(), name="api-hardware-power"),
    path("hardware/ipmi/temperature", views.TemperatureView.as_view(), name="api-hardware-temperature"),
    path("hardware/ipmi/fans", views.FanView.as_view(), name="api-hardware-fans"),
    path("hardware/ipmi/voltage", views.VoltageView.as_view(), name="api-hardware-voltage"),
    path("hardware/ipmi/current", views.CurrentView.as_view(), name="api-hardware-current"),
    path("hardware/ipmi/summary", views.SummaryView.as_view(), name="api-hardware-summary"),
    path("hardware/bmc", views.BmcView.as_view(), name="api-hardware-bmc"),
]

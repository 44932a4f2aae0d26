"""Pages of the monitoring area (power analytics), and the pages that compose every domain per cluster."""

from __future__ import annotations

from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.power_page, name="monitoring-page"),
    path("breakdown/", views.breakdown_page, name="monitoring-breakdown"),
    path("energy/", views.energy_page, name="monitoring-energy"),
    path("live/", views.live_page, name="monitoring-live"),
    path("alerts/", views.alerts_page, name="monitoring-alerts"),
    path("alerts/<int:pk>/", views.alert_action, name="monitoring-alert-action"),
]

# Mounted at the site's root: the home page and the per-cluster pages (after the registry's ``clusters/``).
fleet_urlpatterns = [
    path("", views.overview, name="overview"),
    # Before <name>/: "compare" is a page, not a cluster.
    path("clusters/compare/", views.compare_page, name="clusters-compare-page"),
    path("clusters/<slug:name>/", views.cluster_detail, name="cluster-detail-page"),
]

"""API routes of the accelerators domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from accelerators.api import views

urlpatterns = [
    path("accelerators", views.AcceleratorListView.as_view(), name="api-accelerators-list"),
    path("accelerators/summary", views.AcceleratorSummaryView.as_view(), name="api-accelerators-summary"),
    path("accelerators/gpus", views.GpuListView.as_view(), name="api-accelerators-gpus"),
    path("accelerators/gpus/summary", views.GpuSummaryView.as_view(), name="api-accelerators-gpus-summary"),
    path("accelerators/gpus/<str:uuid>", views.GpuDetailView.as_view(), name="api-accelerators-gpu"),
    path("accelerators/gpus/<str:uuid>/metrics", views.GpuMetricsView.as_view(), name="api-accelerators-gpu-metrics"),
    path("accelerators/gpus/<str:uuid>/power", views.GpuPowerView.as_view(), name="api-accelerators-gpu-power"),
    path(
        "accelerators/gpus/<str:uuid>/timeseries",
        views.GpuSeriesView.as_view(),
        name="api-accelerators-gpu-timeseries",
    ),
    path("accelerators/npus", views.NpuListView.as_view(), name="api-accelerators-npus"),
    path("accelerators/npus/summary", views.NpuSummaryView.as_view(), name="api-accelerators-npus-summary"),
    path("accelerators/npus/<str:id>", views.NpuDetailView.as_view(), name="api-accelerators-npu"),
    path("accelerators/npus/<str:id>/metrics", views.NpuMetricsView.as_view(), name="api-accelerators-npu-metrics"),
    path("accelerators/npus/<str:id>/power", views.NpuPowerView.as_view(), name="api-accelerators-npu-power"),
    path(
        "accelerators/npus/<str:id>/timeseries",
        views.NpuSeriesView.as_view(),
        name="api-accelerators-npu-timeseries",
    ),
]

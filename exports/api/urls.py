"""API routes of the exports domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from exports.api import report, schedules, views

urlpatterns: list = [
    path("export/formats", views.FormatsView.as_view(), name="api-export-formats"),
    path("export/power", views.PowerExportView.as_view(), name="api-export-power"),
    path("export/energy", views.EnergyExportView.as_view(), name="api-export-energy"),
    path("export/metrics", views.MetricsExportView.as_view(), name="api-export-metrics"),
    path("export/report", report.ReportExportView.as_view(), name="api-export-report"),
    path("export/schedules", schedules.ScheduleList.as_view(), name="api-export-schedules"),
    path("export/schedules/<int:pk>", schedules.ScheduleDetail.as_view(), name="api-export-schedule"),
    path("export/archive/<int:pk>/download", schedules.ArchiveDownload.as_view(), name="api-export-archive-download"),
]

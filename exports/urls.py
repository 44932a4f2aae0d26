"""Pages of the exports area."""

from __future__ import annotations

from django.urls import path

from exports import views

urlpatterns = [
    path("", views.exports_page, name="exports-page"),
    path("download", views.download, name="exports-download"),
]

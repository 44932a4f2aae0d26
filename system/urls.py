"""Pages of the system area."""

from __future__ import annotations

from django.urls import path

from system import views

urlpatterns = [
    path("", views.system_page, name="system-page"),
]

"""Pages of the infrastructure area."""

from __future__ import annotations

from django.urls import path

from kcloud.pages import area_unavailable

urlpatterns = [
    path("", area_unavailable, {"area": "Infrastructure"}, name="infrastructure-page"),
]

"""Pages of the accelerators area (GPU and NPU lists and details)."""

from __future__ import annotations

from django.urls import path

from kcloud.pages import area_unavailable

urlpatterns = [
    path("", area_unavailable, {"area": "Accelerators"}, name="accelerators-page"),
]

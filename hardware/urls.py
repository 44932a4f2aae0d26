"""Pages of the hardware area: the IPMI health page."""

from __future__ import annotations

from django.urls import path

from hardware import views

urlpatterns = [
    path("", views.hardware_page, name="hardware-page"),
]

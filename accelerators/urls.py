"""Pages of the accelerators area: overview, GPU and NPU lists and details."""

from __future__ import annotations

from django.urls import path

from accelerators import views

urlpatterns = [
    path("", views.overview, name="accelerators-page"),
    path("gpus/", views.gpu_list, name="accelerators-gpus"),
    path("gpus/<str:uuid>/", views.gpu_detail, name="accelerators-gpu"),
    path("npus/", views.npu_list, name="accelerators-npus"),
    path("npus/<str:id>/", views.npu_detail, name="accelerators-npu"),
]

"""Pages of the infrastructure area: nodes (the landing page), pods, VMs."""

from __future__ import annotations

from django.urls import path

from infrastructure import views

urlpatterns = [
    path("", views.node_list, name="infrastructure-page"),
    path("nodes/<str:name>/", views.node_detail, name="infrastructure-node"),
    path("pods/", views.pod_list, name="infrastructure-pods"),
    path("pods/<str:namespace>/<str:name>/", views.pod_detail, name="infrastructure-pod"),
    path("vms/", views.vm_list, name="infrastructure-vms"),
]

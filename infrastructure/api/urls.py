"""API routes of the infrastructure domain (full paths under /api/v1/, no trailing slashes)."""

from __future__ import annotations

from django.urls import path

from infrastructure.api import topology, views

urlpatterns = [
    path("infrastructure/nodes", views.NodeListView.as_view(), name="api-infrastructure-nodes"),
    path("infrastructure/nodes/summary", views.NodeSummaryView.as_view(), name="api-infrastructure-nodes-summary"),
    path("infrastructure/nodes/<str:name>", views.NodeDetailView.as_view(), name="api-infrastructure-node"),
    path("infrastructure/nodes/<str:name>/power", views.NodePowerView.as_view(), name="api-infrastructure-node-power"),
    path(
        "infrastructure/nodes/<str:name>/metrics",
        views.NodeMetricsView.as_view(),
        name="api-infrastructure-node-metrics",
    ),
    path("infrastructure/pods", views.PodListView.as_view(), name="api-infrastructure-pods"),
    path("infrastructure/pods/summary", views.PodSummaryView.as_view(), name="api-infrastructure-pods-summary"),
    path(
        "infrastructure/pods/<str:namespace>/<str:name>", views.PodDetailView.as_view(), name="api-infrastructure-pod"
    ),
    path(
        "infrastructure/pods/<str:namespace>/<str:name>/power",
        views.PodPowerView.as_view(),
        name="api-infrastructure-pod-power",
    ),
    path("infrastructure/containers", views.ContainerListView.as_view(), name="api-infrastructure-containers"),
    path(
        "infrastructure/containers/<str:namespace>/<str:pod>/<str:container>",
        views.ContainerDetailView.as_view(),
        name="api-infrastructure-container",
    ),
    path("infrastructure/vms", views.VmListView.as_view(), name="api-infrastructure-vms"),
    path("infrastructure/vms/<str:id>", views.VmDetailView.as_view(), name="api-infrastructure-vm"),
    # The graph of a cluster's nodes, devices and pods: under the cluster's path, built from this domain's snapshot.
    path("clusters/<str:name>/topology", topology.ClusterTopologyView.as_view(), name="api-clusters-topology"),
]

"""``GET /api/v1/clusters`` and ``GET /api/v1/clusters/{name}`` (read-only, scope-aware)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from clusters.api.serializers import ClusterSerializer
from clusters.scope import Principal, select_clusters


def _outcome(cluster) -> dict:
    """The last recorded health of a cluster, in the list envelope's shape."""
    return {
        "name": cluster.name,
        "status": cluster.last_status,
        "error": cluster.last_error or None,
        "latency_ms": cluster.last_latency_ms,
    }


class _ScopedClusterView(GenericAPIView):
    serializer_class = ClusterSerializer

    def get_queryset(self):
        # The browsable API asks for a queryset too; it gets the scoped one.
        return Principal.from_request(self.request).visible_clusters()


class ClusterListView(_ScopedClusterView):
    """Every cluster the caller may see, with its last recorded health."""

    @extend_schema(operation_id="clusters_list")
    def get(self, request):
        clusters = list(self.get_queryset())
        page = self.paginate_queryset(clusters)
        data = self.get_serializer(page, many=True).data
        return self.paginator.get_paginated_response(data, clusters=[_outcome(c) for c in page])


class ClusterDetailView(_ScopedClusterView):
    """One cluster; 404 when unknown or outside the caller's scope."""

    def get(self, request, name: str):
        (cluster,) = select_clusters(Principal.from_request(request), [name])
        return Response(self.get_serializer(cluster).data)

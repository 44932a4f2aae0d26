"""``GET /api/v1/clusters`` and ``GET /api/v1/clusters/{name}`` (read-only, scope-aware)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from clusters import placement, topology
from clusters.api.serializers import ClusterSerializer, TopologySerializer
from clusters.prometheus.fanout import fan_out, outcomes
from infrastructure.api.common import TIME, DomainView
from infrastructure.services.common import evaluation_time, snapshot_of
from kcloud import audience
from kcloud.api.errors import NotFound
from kcloud.api.pagination import paginated
from kcloud.api.params import parse_choice, parse_k8s_name, reject_unknown
from kcloud.principal import Principal, select_clusters
from kcloud.timeutil import from_unix, isoformat
from monitoring.api import serializers as analytics_serializers
from monitoring.api.views import parse_window, sites_of
from monitoring.services import clusters as analytics
from monitoring.services.breakdown import breakdown
from monitoring.services.power import cluster_power, fan_out_now


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


# -- power analytics per cluster (issue 6): computed by monitoring.services ---------------------
class ClusterSummaryView(_ScopedClusterView):
    """Nodes, GPUs/NPUs by status, running pods, IT and facility power, PUE, carbon and cost rates, Prometheus."""

    serializer_class = analytics_serializers.ClusterSummarySerializer

    @extend_schema(operation_id="clusters_summary", responses=analytics_serializers.ClusterSummarySerializer)
    def get(self, request, name: str):
        reject_unknown(request.query_params, ())
        (cluster,) = select_clusters(Principal.from_request(request), [name])
        at = evaluation_time(None)
        sites = sites_of([cluster])
        (result,) = fan_out_now([cluster], sites, at)
        body = analytics.summary(result, sites[cluster.name])
        body["timestamp"] = isoformat(from_unix(at)) if result.ok else None
        return Response(self.get_serializer(body).data)


class ClusterCompareView(_ScopedClusterView):
    """Every visible cluster side by side: power, energy over ``window``, PUE, carbon, cost, GPU use."""

    serializer_class = analytics_serializers.ClusterCompareSerializer

    @extend_schema(
        operation_id="clusters_compare",
        responses=analytics_serializers.ClusterCompareSerializer(many=True),
        parameters=[
            OpenApiParameter("window", str, description="Energy window ending now (default 24h)."),
            OpenApiParameter("cluster", str, many=True, description="Only these clusters."),
        ],
    )
    def get(self, request):
        reject_unknown(request.query_params, ("window", "cluster"))
        window = parse_window(request, default="24h")
        clusters = select_clusters(Principal.from_request(request), request.query_params.getlist("cluster"))
        at = evaluation_time(None)
        sites = sites_of(clusters)
        results = fan_out_now(clusters, sites, at, window)
        rows = analytics.compare(results, sites)
        data = self.get_serializer(rows, many=True).data
        extra = {"timestamp": isoformat(from_unix(at)), "window_seconds": window}
        return paginated(self, data, outcomes(results), extra=extra, warnings=placement.answer_warnings(results))


class ClusterPowerView(_ScopedClusterView):
    """One cluster's power now, broken down (rows + explicit ``idle`` and ``unattributed`` rows that add up)."""

    serializer_class = analytics_serializers.BreakdownRowSerializer
    BREAKDOWNS = ("node", "namespace", "resource_type", "vendor", "model")

    @extend_schema(
        operation_id="clusters_power",
        responses=analytics_serializers.BreakdownRowSerializer(many=True),
        parameters=[
            OpenApiParameter("breakdown_by", str, enum=list(BREAKDOWNS), description="Default resource_type."),
            OpenApiParameter("window", str, description="Also the energy of each row over this window."),
        ],
    )
    def get(self, request, name: str):
        reject_unknown(request.query_params, ("breakdown_by", "window"))
        by = parse_choice(
            "breakdown_by", request.query_params.get("breakdown_by"), self.BREAKDOWNS, default="resource_type"
        )
        window = parse_window(request) if request.query_params.get("window") else None
        (cluster,) = select_clusters(Principal.from_request(request), [name])
        at = evaluation_time(None)
        sites = sites_of([cluster])
        results = fan_out_now([cluster], sites, at, window)
        rows, totals = breakdown(results, sites, by)
        data = self.get_serializer(rows, many=True).data
        power = (
            cluster_power(results[0].value.snapshot, sites[name], results[0].value.facility) if results[0].ok else None
        )
        extra = {
            "timestamp": isoformat(from_unix(at)),
            "cluster": name,
            "breakdown_by": by,
            "totals": totals,
            "pue": None if power is None else power.pue.value,
            "pue_source": None if power is None else power.pue.source,
            "facility_power_watts": None if power is None else power.facility_power_watts,
        }
        return paginated(self, data, outcomes(results), extra=extra, warnings=placement.answer_warnings(results))


class ClusterTopologyView(DomainView):
    """The cluster as a graph: nodes → GPUs/NPUs (→ MIG instances / partitions) → pods, with power.

    Four PromQL requests per call (the infrastructure snapshot, shared with the node and
    pod lists). A cluster that does not answer gives ``status: error`` with null lists,
    like ``/summary``; an unknown ``node`` is a 404.
    """

    serializer_class = TopologySerializer
    allowed_params = ("node", "time")

    def get_queryset(self):
        return Principal.from_request(self.request).visible_clusters()

    @extend_schema(
        operation_id="clusters_topology",
        responses=TopologySerializer,
        description=topology.__doc__,
        parameters=[OpenApiParameter("node", str, description="Only this node and what it hosts."), TIME],
    )
    def get(self, request, name: str):
        self.check_params()
        raw_node = request.query_params.get("node")
        node = parse_k8s_name("node", raw_node) if raw_node else None
        at_time = self.eval_time()
        (cluster,) = select_clusters(self.principal(), [name])
        at = evaluation_time(at_time)
        (result,) = fan_out([cluster], lambda client, c: snapshot_of(client, c, at))
        body = {
            "cluster": cluster.name,
            "node": node,
            "status": result.status,
            "error": audience.error_text(result.error, result.error_code),
            "partial": not result.ok,
            "timestamp": isoformat(from_unix(at)) if result.ok else None,
            "clusters": [result.outcome()],
            "totals": None,
            "nodes": None,
            "edges": None,
        }
        if result.ok:
            if node is not None and node not in result.value.nodes:
                raise NotFound(f"Unknown node in cluster {cluster.name}: {node}", details={"node": node})
            graph = topology.build(result.value, node)
            body.update(totals=graph.totals(), nodes=graph.vertices, edges=graph.edges)
        return Response(self.get_serializer(body).data)

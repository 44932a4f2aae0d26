"""Per-cluster analytics: ``/api/v1/clusters/{name}/summary``, ``/power`` and ``/clusters/compare``.

They compose the infrastructure snapshot, facility power and the cluster's
economics, so they live with the rest of the analytics; the registry's own
``/clusters`` and ``/clusters/{name}`` are :mod:`clusters.api.views`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clusters.api.base import ClusterScopedView
from clusters.prometheus.cache import evaluation_time
from clusters.scope import select_clusters
from kcloud.api.params import parse_choice
from kcloud.timeutil import from_unix, isoformat
from monitoring.api import serializers as s
from monitoring.params import parse_window
from monitoring.services import clusters as analytics
from monitoring.services.answers import sites_of
from monitoring.services.breakdown import breakdown
from monitoring.services.power import cluster_power, fan_out_now


class ClusterSummaryView(ClusterScopedView):
    """Nodes, GPUs/NPUs by status, running pods, IT and facility power, PUE, carbon and cost rates, Prometheus."""

    allowed_params = ()
    serializer_class = s.ClusterSummarySerializer

    @extend_schema(operation_id="clusters_summary", responses=s.ClusterSummarySerializer)
    def get(self, request, name: str):
        self.check_params()
        (cluster,) = select_clusters(self.principal(), [name])
        at = evaluation_time(None)
        sites = sites_of([cluster])
        (result,) = fan_out_now([cluster], sites, at)
        body = analytics.summary(result, sites[cluster.name])
        body["timestamp"] = isoformat(from_unix(at)) if result.ok else None
        return Response(self.get_serializer(body).data)


class ClusterCompareView(ClusterScopedView):
    """Every visible cluster side by side: power, energy over ``window``, PUE, carbon, cost, GPU use."""

    allowed_params = ("window", "time", "cluster")
    serializer_class = s.ClusterCompareSerializer

    @extend_schema(
        operation_id="clusters_compare",
        responses=s.ClusterCompareSerializer(many=True),
        parameters=[
            OpenApiParameter("window", str, description="Energy window ending at `time` (default 24h)."),
            OpenApiParameter("time", str, description="Evaluation instant (ISO 8601 or Unix seconds; default now)."),
            OpenApiParameter("cluster", str, many=True, description="Only these clusters."),
        ],
    )
    def get(self, request):
        self.check_params()
        window = parse_window(request.query_params, default="24h")
        clusters = select_clusters(self.principal(), request.query_params.getlist("cluster"))
        at = evaluation_time(self.eval_time())
        sites = sites_of(clusters)
        results = fan_out_now(clusters, sites, at, window)
        rows = analytics.compare(results, sites)
        return self.page(rows, s.ClusterCompareSerializer, results, at, window_seconds=window)


class ClusterPowerView(ClusterScopedView):
    """One cluster's power now, broken down (rows + explicit ``idle`` and ``unattributed`` rows that add up)."""

    allowed_params = ("breakdown_by", "window")
    serializer_class = s.BreakdownRowSerializer
    BREAKDOWNS = ("node", "namespace", "resource_type", "vendor", "model")

    @extend_schema(
        operation_id="clusters_power",
        responses=s.BreakdownRowSerializer(many=True),
        parameters=[
            OpenApiParameter("breakdown_by", str, enum=list(BREAKDOWNS), description="Default resource_type."),
            OpenApiParameter("window", str, description="Also the energy of each row over this window."),
        ],
    )
    def get(self, request, name: str):
        self.check_params()
        by = parse_choice(
            "breakdown_by", request.query_params.get("breakdown_by"), self.BREAKDOWNS, default="resource_type"
        )
        window = parse_window(request.query_params) if request.query_params.get("window") else None
        (cluster,) = select_clusters(self.principal(), [name])
        at = evaluation_time(None)
        sites = sites_of([cluster])
        results = fan_out_now([cluster], sites, at, window)
        rows, totals = breakdown(results, sites, by)
        power = (
            cluster_power(results[0].value.snapshot, sites[name], results[0].value.facility) if results[0].ok else None
        )
        extra = {
            "cluster": name,
            "breakdown_by": by,
            "totals": totals,
            "pue": None if power is None else power.pue.value,
            "pue_source": None if power is None else power.pue.source,
            "facility_power_watts": None if power is None else power.facility_power_watts,
        }
        return self.page(rows, s.BreakdownRowSerializer, results, at, **extra)

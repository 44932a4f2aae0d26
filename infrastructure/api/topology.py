"""``/api/v1/clusters/{name}/topology``: the cluster as a graph built from the infrastructure snapshot."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clusters.api.base import ClusterScopedView
from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import fan_out
from clusters.scope import select_clusters
from infrastructure.api.serializers import TopologySerializer
from infrastructure.services import topology
from infrastructure.services.common import snapshot_of
from kcloud import audience
from kcloud.api.errors import NotFound
from kcloud.api.params import parse_k8s_name
from kcloud.api.views import TIME
from kcloud.timeutil import from_unix, isoformat


class ClusterTopologyView(ClusterScopedView):
    """The cluster as a graph: nodes → GPUs/NPUs (→ MIG instances / partitions) → pods, with power.

    Four PromQL requests per call (the infrastructure snapshot, shared with the node and
    pod lists). A cluster that does not answer gives ``status: error`` with null lists,
    like ``/summary``; an unknown ``node`` is a 404.
    """

    serializer_class = TopologySerializer
    allowed_params = ("node", "time")

    def get_queryset(self):
        return self.principal().visible_clusters()

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

"""``GET /metrics/fleet``: the fleet's numbers in the Prometheus text format (see :mod:`monitoring.fleet_metrics`).

A Prometheus scrapes it with an API token (``authorization: {type: Token,
credentials_file: ...}``), which limits it to the token's clusters like any API
call; or, without a token, from an address in ``KCLOUD_FLEET_METRICS_NETWORKS``
(an internal Prometheus), which sees every enabled cluster.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from rest_framework.permissions import BasePermission

from clusters.api.base import CLUSTER, ClusterScopedView
from clusters.prometheus.cache import evaluation_time
from clusters.scope import Principal
from kcloud.api.params import parse_bool
from kcloud.api.views import TIME
from kcloud.auth.permissions import CanRead
from kcloud.auth.throttling import AnonRateThrottle
from monitoring import fleet_metrics
from monitoring.alerting.scope import visible_budgets
from monitoring.services import power
from monitoring.services.answers import sites_of


def from_metrics_network(request) -> bool:
    """Whether an anonymous caller's address is in ``KCLOUD_FLEET_METRICS_NETWORKS``."""
    networks = settings.KCLOUD_FLEET_METRICS_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(AnonRateThrottle().get_ident(request).strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


class CanReadOrMetricsNetwork(BasePermission):
    """The viewer role (any API caller), or no credentials from the configured network."""

    message = "Scraping the fleet metrics needs an API token with the viewer role, or a configured network."

    def has_permission(self, request, view) -> bool:
        if CanRead().has_permission(request, view):
            return True
        return not request.user.is_authenticated and from_metrics_network(request)


class FleetMetricsView(ClusterScopedView):
    """Per cluster, node, namespace and accelerator power now (and per pod with ``pods=true``)."""

    permission_classes = [CanReadOrMetricsNetwork]
    allowed_params = ("cluster", "pods", "time")

    @extend_schema(
        operation_id="fleet_metrics",
        description=fleet_metrics.__doc__,
        parameters=[
            CLUSTER,
            TIME,
            OpenApiParameter("pods", bool, description="Also per-pod series (the most powerful, up to a limit)."),
        ],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Prometheus text format")},
    )
    def get(self, request):
        self.check_params()
        pods = parse_bool("pods", request.query_params.get("pods"), default=False)
        clusters = self.clusters()
        sites = sites_of(clusters)
        results = power.fan_out_now(clusters, sites, evaluation_time(self.eval_time()))
        limit = settings.KCLOUD_FLEET_METRICS_MAX_PODS if pods else None
        budgets = visible_budgets(self.principal()).filter(enabled=True)
        body = fleet_metrics.exposition(fleet_metrics.families(results, sites, pods_limit=limit, budgets=budgets))
        # Every name is a classic one, so the text is the 0.0.4 format every Prometheus 2.x reads.
        return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)

    def principal(self) -> Principal:
        # Past the permission check, an anonymous caller is a scrape from the metrics network.
        if not self.request.user.is_authenticated:
            return Principal.metrics_network()
        return super().principal()

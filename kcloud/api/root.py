"""``GET /api/v1/``: the domains of the API and where they live."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from kcloud.version import API_VERSION, __version__

# (domain, url name, description).
DOMAINS = [
    ("clusters", "api-clusters-list", "Registered clusters and their health."),
    ("infrastructure", "api-infrastructure-nodes", "Nodes, pods, containers and VMs with their power parts."),
    ("hardware", "api-hardware-sensors", "IPMI sensors with the exporter's states, PSU/DCMI power, BMC."),
    ("accelerators", "api-accelerators-list", "GPUs (DCGM, MIG) and NPUs (FuriosaAI, Rebellions): inventory, power."),
    ("monitoring", "api-monitoring-power", "Power analytics: power now, breakdowns, energy, PUE, carbon, cost."),
    ("exports", "api-export-formats", "Power, energy and metrics as JSON/CSV/Parquet/Excel; the management report."),
    ("system", "api-system-health", "Health, version and the app's own metrics (public)."),
    ("schema", "api-schema", "OpenAPI 3 schema."),
    ("docs", "api-docs", "Swagger UI."),
]


class ApiRootView(APIView):
    """List the API's domains. Public, so a client can discover where to authenticate."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(
            {
                "name": "KCloud Monitor API",
                "api_version": API_VERSION,
                "version": __version__,
                "domains": {
                    name: {"url": reverse(url_name, request=request), "description": text}
                    for name, url_name, text in DOMAINS
                },
            }
        )

"""Public system endpoints: health, version and the app's own Prometheus metrics."""

from __future__ import annotations

import hmac
import json
import platform

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kcloud.api.errors import envelope
from kcloud.timeutil import isoformat, utcnow
from kcloud.version import API_VERSION, __version__, git_revision
from system import checks


class HealthView(APIView):
    """``ok | degraded | down`` with each component; 503 only when down. Never a URL or secret.

    Anonymous: clusters are counted, not named (``KCLOUD_HEALTH_NAMES_CLUSTERS`` adds
    their names and states for an internal load balancer or monitor).
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []  # load balancers poll this

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request):
        database = checks.check_database()
        cache_status = checks.check_cache()
        channel_layer = checks.check_channel_layer()
        clusters = checks.check_clusters() if database == "ok" else []
        status = checks.overall_status(database, cache_status, channel_layer, clusters)
        body = {
            "status": status,
            "timestamp": isoformat(utcnow()),
            "database": database,
            "cache": cache_status,
            "channel_layer": channel_layer,
            "clusters": {
                "total": len(clusters),
                "ok": sum(1 for c in clusters if c["status"] == "ok"),
                "error": sum(1 for c in clusters if c["status"] != "ok"),
            },
        }
        if settings.KCLOUD_HEALTH_NAMES_CLUSTERS:
            body["cluster_status"] = clusters
        return Response(body, status=503 if status == "down" else 200)


class VersionView(APIView):
    """What is running: app, git revision, API, Python and Django versions."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(
            {
                "version": __version__,
                "git_revision": git_revision(),
                "api_version": API_VERSION,
                "python_version": platform.python_version(),
                "django_version": django.get_version(),
            }
        )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (django-prometheus + our metrics); bearer-protected when configured."""
    expected = settings.KCLOUD_METRICS_TOKEN
    if expected:
        header = request.headers.get("Authorization", "")
        supplied = header[7:] if header.startswith("Bearer ") else ""
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            response = HttpResponse(
                content=json.dumps(envelope("not_authenticated", "Bearer token required.")),
                status=401,
                content_type="application/json",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)

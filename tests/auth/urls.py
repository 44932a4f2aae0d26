"""Throwaway URLconf for the auth tests: tiny DRF views using the project defaults."""

from __future__ import annotations

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters.scope import Principal, select_clusters


class WhoAmIView(APIView):
    """Authenticated (default permission): says who asked and which clusters it may see."""

    def get(self, request: Request) -> Response:
        principal = Principal.from_request(request)
        clusters = select_clusters(principal, request.query_params.getlist("cluster"))
        return Response(
            {
                "user": request.user.get_username(),
                "token": principal.token.prefix if principal.token else None,
                "clusters": [cluster.name for cluster in clusters],
            }
        )


class PublicView(APIView):
    """Public, like health/version: only the anonymous throttle applies."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("whoami", WhoAmIView.as_view(), name="whoami"),
    path("public", PublicView.as_view(), name="public"),
]

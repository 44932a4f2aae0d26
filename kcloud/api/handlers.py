"""Django-level 404/500 handlers: JSON envelope under /api/, plain pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from kcloud.api.errors import envelope


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(envelope("not_found", "Not found."), status=404)
    return HttpResponse(render_to_string("errors/404.html", request=request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(envelope("internal_error", "An internal error occurred; it has been logged."), status=500)
    return HttpResponse(render_to_string("errors/500.html"), status=500)

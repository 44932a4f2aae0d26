"""Django-level 404/500 handlers: JSON envelope under /api/, plain pages elsewhere.

The 500 handler runs inside Django's ``except`` clause, so it can tell a database
that is down (PostgreSQL restarting) from a bug: that is a 503 with ``Retry-After``,
wherever it was raised (a view, the session or token lookup in a middleware).
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from kcloud.api.errors import DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE, database_unavailable, envelope


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(envelope("not_found", "Not found."), status=404)
    return HttpResponse(render_to_string("errors/404.html", request=request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):
        return _database_unavailable(request)
    if _wants_json(request):
        return JsonResponse(envelope("internal_error", "An internal error occurred; it has been logged."), status=500)
    return HttpResponse(render_to_string("errors/500.html"), status=500)


def _database_unavailable(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        response = JsonResponse(envelope(*DATABASE_UNAVAILABLE), status=503)
    else:
        # No template engine work that could touch the database (no context processors).
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response

"""The browsable API (HTML) for staff: DRF's renderer with our query parameters as its filter form.

DRF builds its "Filters" form from ``get_queryset()`` and filter backends. Our
views have neither: their data come from Prometheus, and their filters are
query parameters validated in the view. So the form is built from what the
OpenAPI schema says the endpoint accepts — the same description partners read
in the docs — and submits a plain GET to the same URL.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from django.template import loader
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

# Parameters that are not filters: the response format, and paging (the page links do that).
NOT_FILTERS = frozenset({api_settings.URL_FORMAT_OVERRIDE, "page"})
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")

_lock = threading.Lock()
_operations: dict[str, dict] | None = None


def _schema_operations() -> dict[str, dict]:
    """``{schema path: GET operation}`` of the whole API, generated once per process."""
    global _operations
    with _lock:
        if _operations is None:
            from drf_spectacular.generators import SchemaGenerator

            schema = SchemaGenerator().get_schema(request=None, public=True)
            _operations = {path: ops["get"] for path, ops in schema.get("paths", {}).items() if "get" in ops}
        return _operations


def schema_path(route: str) -> str:
    """URL route → schema path, the way drf-spectacular writes it (``gpus/<str:uuid>`` → ``/gpus/{uuid}``)."""
    return "/" + _CONVERTER.sub(r"{\1}", route)


def query_fields(request: Any, view: Any = None) -> list[dict]:
    """The endpoint's query parameters as form fields, each with its current value(s)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return []
    operation = _schema_operations().get(schema_path(match.route))
    if operation is None:
        return []
    fields = []
    for param in operation.get("parameters", []):
        if param.get("in") != "query" or param["name"] in NOT_FILTERS:
            continue
        field = _field(param, request.query_params.getlist(param["name"]))
        if field["name"] == "cluster" and not field["choices"]:
            # The schema cannot list clusters; the caller's scope can.
            field.update(widget="select", multiple=True, choices=_visible_cluster_names(view))
        fields.append(field)
    return fields


def _visible_cluster_names(view: Any) -> list[str]:
    # Views over clusters say which ones the caller may see; the plumbing does not know the registry.
    names = getattr(view, "visible_cluster_names", None)
    return list(names()) if callable(names) else []


def _field(param: dict, current: list[str]) -> dict:
    schema = param.get("schema", {})
    many = schema.get("type") == "array"
    item = schema.get("items", {}) if many else schema
    choices = item.get("enum")
    if item.get("type") == "boolean":
        choices = ["true", "false"]
    if choices is not None:
        widget = "select"
    elif item.get("type") in ("integer", "number"):
        widget = "number"
    else:
        widget = "text"
    return {
        "name": param["name"],
        "description": param.get("description", ""),
        "required": bool(param.get("required")),
        "widget": widget,
        "multiple": many and choices is not None,
        "choices": [str(c) for c in choices or () if c is not None],
        "minimum": item.get("minimum"),
        "maximum": item.get("maximum"),
        "values": [v for v in current if v != ""],
        "value": next((v for v in current if v != ""), ""),
    }


class KCloudBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API with a filter form that never asks the view for a queryset."""

    template = "rest_framework/api.html"
    filter_template = "rest_framework/filters/base.html"

    def get_filter_form(self, data, view, request):
        try:
            fields = query_fields(request, view)
        except Exception:  # the form is a convenience: a schema problem must not cost the page
            logger.exception("could not build the filter form for %s", request.path)
            return None
        if not fields:
            return None
        form = loader.get_template("api/query_form.html").render({"fields": fields, "action": request.path})
        return loader.get_template(self.filter_template).render({"elements": [form]})

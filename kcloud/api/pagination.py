"""Pagination with the list envelope ``{count, next, previous, results, clusters, warnings, timestamp}``.

``clusters`` is the per-cluster outcome of the fan-out that produced the rows, so
a client sees which clusters answered even when the list is partial; ``warnings``
says what the answering clusters could not account for (series that could not be
placed on a node, :mod:`clusters.placement.report`) instead of hiding it in a row.
"""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from kcloud.api.params import parse_int
from kcloud.timeutil import isoformat, utcnow

# Far beyond any real list, small enough that no arithmetic on it misbehaves.
MAX_PAGE_NUMBER = 1_000_000


WARNINGS_SCHEMA = {
    "type": "array",
    "description": "What the answering clusters could not account for (e.g. series no node could be found for).",
    "items": {
        "type": "object",
        "properties": {
            "cluster": {"type": "string"},
            "code": {"type": "string", "enum": ["unplaced_series"]},
            "source": {"type": "string"},
            "series": {"type": "integer"},
            "message": {"type": "string"},
            "example": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}


class KCloudPagination(PageNumberPagination):
    """``page`` and ``page_size`` (default 100, at most 1000); a malformed value is a 400 naming it.

    DRF would silently fall back to the default page size for ``page_size=abc``
    and answer ``page=abc`` with a 404: a typo must not look like an answer.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        return parse_int("page_size", raw, minimum=1, maximum=self.max_page_size, default=self.page_size)

    def paginate_queryset(self, queryset, request, view=None):
        parse_int(
            self.page_query_param, request.query_params.get(self.page_query_param), minimum=1, maximum=MAX_PAGE_NUMBER
        )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(
        self, data, clusters: Sequence[dict] | None = None, warnings: Sequence[dict] | None = None
    ) -> Response:
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
                "clusters": list(clusters or []),
                "warnings": list(warnings or []),
                "timestamp": isoformat(utcnow()),
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        base = super().get_paginated_response_schema(schema)
        base["properties"]["clusters"] = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["ok", "error"]},
                    "error": {"type": "string", "nullable": True},
                    "latency_ms": {"type": "number", "nullable": True},
                },
            },
        }
        base["properties"]["warnings"] = WARNINGS_SCHEMA
        base["properties"]["timestamp"] = {"type": "string", "format": "date-time"}
        return base

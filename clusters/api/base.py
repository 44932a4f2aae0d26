"""The base of API views over clusters: the caller's scope, ``?cluster=``, and the list envelope.

Every list answer carries ``clusters`` (one outcome per cluster asked) and
``warnings`` (series the placement rules could not place), so one dead
cluster or an odd relabelling degrades an answer instead of hiding in it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter

from clusters import placement
from clusters.prometheus.fanout import outcomes
from clusters.scope import Principal, select_clusters
from kcloud.api.views import ApiView
from kcloud.timeutil import from_unix, isoformat

CLUSTER = OpenApiParameter("cluster", str, many=True, description="Only these clusters (repeat for several).")


class ClusterScopedView(ApiView):
    """An API view answering over the clusters the caller may see."""

    def principal(self) -> Principal:
        return Principal.from_request(self.request)

    def clusters(self) -> list:
        """Visible clusters, narrowed by ``?cluster=`` (404 for unknown or out of scope)."""
        return select_clusters(self.principal(), [v for v in self.request.query_params.getlist("cluster") if v])

    def visible_cluster_names(self) -> list[str]:
        """For the browsable API's filter form: the clusters the caller may choose from."""
        return [c.name for c in self.principal().visible_clusters()]

    def page(self, rows: list, serializer_class: type, results: list, at: float | None, **extra: Any):
        """The list envelope for ``rows``, serializing only the requested page."""
        page_rows = self.paginator.paginate_queryset(rows, self.request, view=self)
        data = serializer_class(page_rows, many=True).data
        response = self.paginator.get_paginated_response(
            data, clusters=outcomes(results), warnings=placement.answer_warnings(results)
        )
        if at is not None:
            # The instant the data describe (every query of the request was evaluated at it).
            response.data["timestamp"] = isoformat(from_unix(at))
        response.data.update(extra)
        return response

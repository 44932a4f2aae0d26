"""Helpers shared by the infrastructure and hardware views: parameters, pagination, name lookups."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView

from clusters import placement
from clusters.prometheus.fanout import outcomes
from kcloud.api.errors import ApiError, BadParameter, NotFound
from kcloud.api.params import parse_choice, parse_k8s_names, parse_time, reject_unknown
from kcloud.principal import Principal, select_clusters
from kcloud.timeutil import from_unix, isoformat

# Reusable OpenAPI parameter descriptions.
CLUSTER = OpenApiParameter("cluster", str, many=True, description="Only these clusters (repeat for several).")
TIME = OpenApiParameter(
    "time",
    OpenApiTypes.STR,
    description="Evaluate at this instant (ISO 8601 or Unix seconds); default now, aligned to 15 s.",
)
ORDERING = OpenApiParameter("ordering", str, description="Field to sort by; prefix '-' for descending.")
WINDOW = OpenApiParameter("window", str, description="Window ending at `time`: 5m ... 31d (default 1h).")
PAGE = [
    OpenApiParameter("page", int, description="Page number."),
    OpenApiParameter("page_size", int, description="Rows per page (default 100, at most 1000)."),
]


def many(name: str, choices: Sequence[str], values: Iterable[str]) -> tuple[str, ...]:
    """Repeated choice parameter (``?phase=Running&phase=Pending``)."""
    return tuple(dict.fromkeys(parse_choice(name, v, choices) for v in values if v != ""))


def k8s_many(request: Any, name: str, *, label: bool = False) -> tuple[str, ...]:
    """Repeated Kubernetes-name filter, each value validated before any PromQL."""
    return tuple(parse_k8s_names(name, [v for v in request.query_params.getlist(name) if v != ""], label=label))


class DomainView(GenericAPIView):
    """Base of the domain's views: parameter checks, cluster scope, pagination with outcomes."""

    allowed_params: tuple[str, ...] = ()

    def check_params(self) -> None:
        reject_unknown(self.request.query_params, self.allowed_params)

    def principal(self) -> Principal:
        return Principal.from_request(self.request)

    def clusters(self) -> list:
        """Visible clusters, narrowed by ``?cluster=`` (404 for unknown or out of scope)."""
        return select_clusters(self.principal(), [v for v in self.request.query_params.getlist("cluster") if v])

    def eval_time(self) -> datetime | None:
        """``?time=``: an explicit evaluation instant (not in the future), or None for now."""
        raw = self.request.query_params.get("time")
        if not raw:
            return None
        at = parse_time("time", raw)
        if at.timestamp() > time.time() + 60:
            raise BadParameter("time", "is in the future.")
        return at

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


def resolve_one(found: list[tuple[Any, Any]], failed: list, *, what: str, name: str, param: str = "cluster"):
    """The one (result, item) a detail request names; 404 if nowhere, 400 if in several clusters.

    When the name is not found but some clusters could not answer, the answer is
    503 naming them: "not found" would be a guess.
    """
    if len(found) > 1:
        clusters = sorted(result.cluster.name for result, _item in found)
        raise ApiError(
            f"{what} {name!r} exists in several clusters ({', '.join(clusters)}); add ?{param}= to choose one.",
            code="ambiguous_name",
            status_code=400,
            details={"parameter": param, "clusters": clusters},
        )
    if found:
        return found[0]
    if failed:
        raise ApiError(
            f"{what} {name!r} was not found, and some clusters did not answer.",
            code="clusters_unavailable",
            status_code=503,
            details={"clusters": outcomes(failed)},
        )
    raise NotFound(f"Unknown {what}: {name}", details={what: name})

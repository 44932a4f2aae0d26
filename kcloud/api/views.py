"""The base of every API view: unknown parameters refused, one evaluation instant, shared OpenAPI parameters.

Views over clusters build on :class:`clusters.api.base.ClusterScopedView`, which
adds the caller's cluster scope and the list envelope with per-cluster outcomes.
"""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView

from kcloud.api.params import parse_instant, reject_unknown

# Reusable OpenAPI parameter descriptions.
TIME = OpenApiParameter(
    "time",
    OpenApiTypes.STR,
    description="Evaluate at this instant (ISO 8601 or Unix seconds); default now, aligned to 15 s.",
)
ORDERING = OpenApiParameter("ordering", str, description="Field to sort by; prefix '-' for descending.")
WINDOW = OpenApiParameter("window", str, description="Window ending at `time`: 5m ... 31d (default 1h).")
TOP = OpenApiParameter("top", int, description="How many top entries (1-100, default 10).")
PAGE = [
    OpenApiParameter("page", int, description="Page number."),
    OpenApiParameter("page_size", int, description="Rows per page (default 100, at most 1000)."),
]


class ApiView(GenericAPIView):
    """Parameter checks every endpoint shares; subclasses list the parameters they accept."""

    allowed_params: tuple[str, ...] = ()

    def check_params(self) -> None:
        reject_unknown(self.request.query_params, self.allowed_params)

    def eval_time(self) -> datetime | None:
        """``?time=``: an explicit evaluation instant (not in the future), or None for now."""
        return parse_instant("time", self.request.query_params.get("time"))

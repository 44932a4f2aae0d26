"""The Prometheus adapter: PromQL builder, HTTP client, typed results, fan-out and cache.

Import the public API from here::

    from clusters.prometheus import Scope, client_for, fan_out, cached_query, LIVE
"""

from __future__ import annotations

from clusters.prometheus.cache import (
    INVENTORY,
    LIVE,
    RANGE,
    SUMMARY,
    TTLClass,
    align,
    cached_query,
    cached_query_range,
)
from clusters.prometheus.client import PrometheusClient, client_for, reset_clients, to_timestamp
from clusters.prometheus.errors import (
    PrometheusAuthError,
    PrometheusBadQuery,
    PrometheusBadResponse,
    PrometheusError,
    PrometheusTimeout,
    PrometheusUnavailable,
)
from clusters.prometheus.fanout import ClusterResult, fan_out, outcomes
from clusters.prometheus.promql import (
    UNSCOPED,
    Matcher,
    Scope,
    any_of,
    eq,
    escape_label_value,
    escape_regex,
    names_regex,
    ne,
    none_of,
    parse_matchers,
    quote,
    regex,
    render_matchers,
)
from clusters.prometheus.results import (
    QueryResult,
    Sample,
    Series,
    is_dcgm_blank,
    is_nan_text,
    parse_query_response,
    parse_value,
)

__all__ = [
    "INVENTORY",
    "LIVE",
    "RANGE",
    "SUMMARY",
    "UNSCOPED",
    "ClusterResult",
    "Matcher",
    "PrometheusAuthError",
    "PrometheusBadQuery",
    "PrometheusBadResponse",
    "PrometheusClient",
    "PrometheusError",
    "PrometheusTimeout",
    "PrometheusUnavailable",
    "QueryResult",
    "Sample",
    "Scope",
    "Series",
    "TTLClass",
    "align",
    "any_of",
    "cached_query",
    "cached_query_range",
    "client_for",
    "eq",
    "escape_label_value",
    "escape_regex",
    "fan_out",
    "is_dcgm_blank",
    "is_nan_text",
    "names_regex",
    "ne",
    "none_of",
    "outcomes",
    "parse_matchers",
    "parse_query_response",
    "parse_value",
    "quote",
    "regex",
    "render_matchers",
    "reset_clients",
    "to_timestamp",
]

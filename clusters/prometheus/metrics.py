"""Self-metrics of the Prometheus adapter (exported on the app's own /metrics).

Registered once in prometheus_client's default registry at import time.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

QUERY_DURATION = Histogram(
    "kcloud_prometheus_query_duration_seconds",
    "Time of one adapter call to a cluster's Prometheus, retries included.",
    ["cluster", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

REQUESTS_TOTAL = Counter(
    "kcloud_prometheus_requests_total",
    "Adapter calls to a cluster's Prometheus by endpoint and outcome (ok or an error code).",
    ["cluster", "endpoint", "outcome"],
)

CACHE_HITS = Counter(
    "kcloud_cache_hits_total",
    "Prometheus answers served from the cache.",
    ["ttl_class"],
)

CACHE_MISSES = Counter(
    "kcloud_cache_misses_total",
    "Prometheus answers not found in the cache (including cache backend errors).",
    ["ttl_class"],
)


def record_request(cluster: str, endpoint: str, outcome: str, seconds: float) -> None:
    """Record one adapter call: its duration and its outcome."""
    QUERY_DURATION.labels(cluster=cluster, outcome=outcome).observe(seconds)
    REQUESTS_TOTAL.labels(cluster=cluster, endpoint=endpoint, outcome=outcome).inc()

"""Cache-aside for Prometheus answers in Django's cache (Redis in production).

Keys are built from the cluster's ``cache_version`` (changes whenever the row
does), the kind of query, the PromQL text and an *aligned* evaluation time: every
caller within the same window shares one key, and the query is evaluated at that
aligned time so all app instances compute the same answer. Ranges align start and
end to their step.

The cache is an optimisation only: any cache backend error (Redis down, a value
that cannot be unpickled) is a miss, logged at debug, never an exception.
Errors from Prometheus are not cached.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
import time as _time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from clusters.prometheus.client import PrometheusClient, TimeLike, to_timestamp
from clusters.prometheus.metrics import CACHE_HITS, CACHE_MISSES
from clusters.prometheus.results import QueryResult

logger = logging.getLogger(__name__)

KEY_PREFIX = "kcloud:prom:v1:"


class TTLClass(enum.Enum):
    """How long an answer may be reused, in seconds, by kind of data."""

    INVENTORY = 3600  # which GPUs/NPUs/nodes exist: changes rarely
    LIVE = 15  # current power, temperature, utilisation
    SUMMARY = 60  # aggregates over a window (energy today, top-N)
    RANGE = 300  # chart data (query_range)

    @property
    def seconds(self) -> int:
        return self.value

    @property
    def label(self) -> str:
        return self.name.lower()


INVENTORY = TTLClass.INVENTORY
LIVE = TTLClass.LIVE
SUMMARY = TTLClass.SUMMARY
RANGE = TTLClass.RANGE

# Inventory is keyed by the hour but evaluated at "now": evaluating at the top of
# the hour would hide everything that appeared since then (a freshly started
# Prometheus would look empty for up to an hour). Its answer is "the inventory as
# first seen in this window", which is exactly what a one-hour cache means.
_EVALUATE_AT_NOW = frozenset({TTLClass.INVENTORY})


def align(ts: float, step: float) -> float:
    """Floor ``ts`` to a multiple of ``step`` (seconds)."""
    if step <= 0:
        raise ValueError("step must be positive")
    return math.floor(ts / step) * step


def evaluation_time(at: datetime | float | None = None) -> float:
    """The instant every query of a request is evaluated at.

    An explicit time is used as given (reproducible answers); otherwise now,
    floored to the live-data TTL so concurrent callers share cached answers.
    """
    if at is None:
        return align(_time.time(), LIVE.seconds)
    return at.timestamp() if isinstance(at, datetime) else float(at)


def cache_enabled() -> bool:
    """Whether the cache is used at all (``KCLOUD_CACHE_ENABLED``)."""
    return bool(getattr(settings, "KCLOUD_CACHE_ENABLED", True))


def make_key(cache_version: str, kind: str, expr: str, *times: float) -> str:
    """A short, backend-safe key from everything that decides the answer."""
    material = "\x1f".join([cache_version, kind, expr, *(f"{t:.3f}" for t in times)])
    return KEY_PREFIX + hashlib.sha256(material.encode()).hexdigest()


def _cache_get(key: str) -> QueryResult | None:
    try:
        value = cache.get(key)
    except Exception:  # any backend failure is a miss: the cache must never break a request
        logger.debug("cache get failed for %s", key, exc_info=True)
        return None
    return value if isinstance(value, QueryResult) else None


def _cache_set(key: str, value: QueryResult, ttl: int) -> None:
    try:
        cache.set(key, value, timeout=ttl)
    except Exception:  # as above: a failed set only costs the next caller a query
        logger.debug("cache set failed for %s", key, exc_info=True)


def _through_cache(ttl_class: TTLClass, key: str, compute) -> QueryResult:
    if not cache_enabled():
        return compute()
    hit = _cache_get(key)
    if hit is not None:
        CACHE_HITS.labels(ttl_class=ttl_class.label).inc()
        return hit
    CACHE_MISSES.labels(ttl_class=ttl_class.label).inc()
    result = compute()  # a PrometheusError propagates and nothing is stored
    _cache_set(key, result, ttl_class.seconds)
    return result


def cached_query(
    client: PrometheusClient,
    expr: str,
    ttl_class: TTLClass = LIVE,
    time: TimeLike | None = None,
) -> QueryResult:
    """Instant query through the cache.

    With ``time=None`` the window is ``align(now, ttl)`` and (except for
    INVENTORY, see above) the query is evaluated at that aligned time, passed
    to Prometheus explicitly. An explicit ``time`` is used as given.
    """
    if time is None:
        now = _time.time()
        window = align(now, ttl_class.seconds)
        evaluate_at: float | None = now if ttl_class in _EVALUATE_AT_NOW else window
        key_time = window
    else:
        evaluate_at = key_time = to_timestamp(time)
    key = make_key(client.cache_version, "query", expr, key_time)
    return _through_cache(ttl_class, key, lambda: client.query(expr, time=evaluate_at))


def cached_query_range(
    client: PrometheusClient,
    expr: str,
    start: TimeLike,
    end: TimeLike,
    step: float,
    ttl_class: TTLClass = RANGE,
) -> QueryResult:
    """Range query through the cache, with ``start`` and ``end`` floored to ``step``.

    Aligning makes charts requested a few seconds apart share one key and one
    query, and keeps the points on the same grid across refreshes.
    """
    start_ts = align(to_timestamp(start), step)
    end_ts = max(start_ts, align(to_timestamp(end), step))
    key = make_key(client.cache_version, "range", expr, start_ts, end_ts, float(step))
    return _through_cache(ttl_class, key, lambda: client.query_range(expr, start_ts, end_ts, step))

"""Cache of merged per-cluster inventories: in-process first, then Django's cache.

The merged result (dataclasses) is what is cached, not the raw Prometheus
answers: it is a tenth of the size to pickle. A warm request in the same
process does not even unpickle it: the in-process copy is valid while a small
marker key with the same token lives in Django's cache, so ``cache.clear()``,
a TTL expiry or an eviction invalidates every process' copy at once.

Values are shared between requests: callers must treat them as read-only.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from clusters.prometheus.cache import KEY_PREFIX, TTLClass, cache_enabled
from clusters.prometheus.metrics import CACHE_HITS, CACHE_MISSES

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ENTRIES = 256
_entries: dict[str, tuple[str, float, object]] = {}
_lock = threading.Lock()


def _key(parts: tuple) -> str:
    return KEY_PREFIX + "merged:" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # the cache is an optimisation: a backend failure is a miss
        logger.debug("cache get failed for %s", key, exc_info=True)
        return None


def _remember(key: str, token: str, ttl: int, value: object) -> None:
    now = time.monotonic()
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            expired = [k for k, (_t, expires, _v) in _entries.items() if expires <= now]
            for old in expired or list(_entries)[: MAX_ENTRIES // 8]:
                _entries.pop(old, None)
        _entries[key] = (token, now + ttl, value)


def memoized(parts: tuple, ttl_class: TTLClass, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``parts`` and TTL window (see the module docstring)."""
    if not cache_enabled():
        return compute()
    key = _key(parts)
    marker = key + ":token"
    ttl = ttl_class.seconds
    token = _get(marker)
    entry = _entries.get(key)
    if token is not None and entry is not None and entry[0] == token and entry[1] > time.monotonic():
        CACHE_HITS.labels(ttl_class=ttl_class.label).inc()
        return entry[2]  # type: ignore[return-value]
    if token is not None:
        shared = _get(key)
        if isinstance(shared, tuple) and len(shared) == 2 and shared[0] == token:
            _remember(key, token, ttl, shared[1])
            CACHE_HITS.labels(ttl_class=ttl_class.label).inc()
            return shared[1]
    CACHE_MISSES.labels(ttl_class=ttl_class.label).inc()
    value = compute()  # errors propagate and nothing is stored
    token = secrets.token_hex(8)
    try:
        cache.set_many({key: (token, value), marker: token}, timeout=ttl)
    except Exception:
        logger.debug("cache set failed for %s", key, exc_info=True)
        return value
    _remember(key, token, ttl, value)
    return value


def clear() -> None:
    """Forget every in-process entry (tests; Django's cache is cleared separately)."""
    with _lock:
        _entries.clear()

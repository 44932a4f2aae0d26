"""Shared plumbing of the infrastructure services: evaluation instant, fan-out of snapshots, lookups."""

from __future__ import annotations

import secrets
import threading
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.core.cache import cache

from clusters.prometheus.cache import LIVE, align, cache_enabled, make_key
from clusters.prometheus.fanout import ClusterResult, fan_out
from infrastructure.services.snapshot import ClusterSnapshot, fetch_snapshot

T = TypeVar("T")
_MEMO_MAX = 128
_memo: dict[str, tuple[str, float, Any]] = {}
_memo_lock = threading.Lock()


def memoized(parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``parts`` within the live-cache window, kept in this process.

    The Prometheus answers are cached already; this keeps the *merged* snapshot
    (thousands of dataclasses) so a warm request neither unpickles nor re-merges
    them. An entry is valid only while a marker with its token lives in Django's
    cache, so ``cache.clear()`` or the TTL invalidates it in every process.
    Values are shared between requests: callers must treat them as read-only.
    """
    if not cache_enabled():
        return compute()
    key = make_key("memo", "infrastructure", "\x1f".join(str(p) for p in parts))
    entry = _memo.get(key)
    if entry is not None and entry[1] > _time.monotonic():
        try:
            valid = cache.get(key + ":memo") == entry[0]
        except Exception:  # a cache failure only costs a recomputation
            valid = False
        if valid:
            return entry[2]
    value = compute()
    token = secrets.token_hex(8)
    try:
        cache.set(key + ":memo", token, timeout=LIVE.seconds)
    except Exception:
        return value
    with _memo_lock:
        if len(_memo) >= _MEMO_MAX:
            now = _time.monotonic()
            for old in [k for k, e in _memo.items() if e[1] <= now] or list(_memo)[: _MEMO_MAX // 8]:
                _memo.pop(old, None)
        _memo[key] = (token, _time.monotonic() + LIVE.seconds, value)
    return value


def evaluation_time(at: datetime | None) -> float:
    """The instant every query of a request is evaluated at.

    An explicit ``time`` is used as given (reproducible answers); otherwise now,
    floored to the live-data TTL so concurrent callers share cached answers.
    """
    if at is not None:
        return at.timestamp()
    return align(_time.time(), LIVE.seconds)


def snapshots(clusters: list[Any], at: float) -> list[ClusterResult[ClusterSnapshot]]:
    """One :class:`ClusterSnapshot` per cluster, fetched in parallel (constant requests per cluster)."""

    return fan_out(clusters, lambda client, cluster: snapshot_of(client, cluster, at))


def snapshot_of(client: Any, cluster: Any, at: float) -> ClusterSnapshot:
    """:func:`fetch_snapshot`, reused in-process within the live window (read-only!)."""
    parts = ("infrastructure-snapshot", client.cache_version, cluster.scope, at)
    return memoized(parts, lambda: fetch_snapshot(client, cluster, at))


@dataclass
class Lookup:
    """Where a name was found across clusters, and which clusters could not answer."""

    found: list[tuple[ClusterResult[ClusterSnapshot], Any]] = field(default_factory=list)
    failed: list[ClusterResult[ClusterSnapshot]] = field(default_factory=list)

    @property
    def clusters(self) -> list[str]:
        return [result.cluster.name for result, _item in self.found]


def lookup(results: list[ClusterResult[ClusterSnapshot]], pick) -> Lookup:
    """Apply ``pick(snapshot) -> item | None`` to every answering cluster."""
    out = Lookup()
    for result in results:
        if not result.ok:
            out.failed.append(result)
            continue
        item = pick(result.value)
        if item is not None:
            out.found.append((result, item))
    return out

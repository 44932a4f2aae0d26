"""Shared plumbing of the infrastructure services: evaluation instant, fan-out of snapshots, lookups."""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from clusters.prometheus.cache import TTLClass, align
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.memo import memoized as shared_memoized
from infrastructure.services.snapshot import ClusterSnapshot, fetch_snapshot

T = TypeVar("T")


def memoized(parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``parts`` within the live-cache window (shared in-process memo).

    Keeps the *merged* snapshot so a warm request neither unpickles nor re-merges
    thousands of dataclasses; values are shared, callers treat them as read-only.
    """
    return shared_memoized(("infrastructure", *parts), TTLClass.LIVE, compute)


def evaluation_time(at: datetime | None) -> float:
    """The instant every query of a request is evaluated at.

    An explicit ``time`` is used as given (reproducible answers); otherwise now,
    floored to the live-data TTL so concurrent callers share cached answers.
    """
    if at is not None:
        return at.timestamp()
    return align(_time.time(), TTLClass.LIVE.seconds)


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

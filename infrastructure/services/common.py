"""Shared plumbing of the infrastructure services: the fan-out of snapshots, reused within the live window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from clusters.prometheus.cache import TTLClass
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


def snapshots(clusters: list[Any], at: float) -> list[ClusterResult[ClusterSnapshot]]:
    """One :class:`ClusterSnapshot` per cluster, fetched in parallel (constant requests per cluster)."""

    return fan_out(clusters, lambda client, cluster: snapshot_of(client, cluster, at))


def snapshot_of(client: Any, cluster: Any, at: float) -> ClusterSnapshot:
    """:func:`fetch_snapshot`, reused in-process within the live window (read-only!)."""
    parts = ("infrastructure-snapshot", client.cache_version, cluster.scope, at)
    return memoized(parts, lambda: fetch_snapshot(client, cluster, at))

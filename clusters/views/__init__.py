"""Pages of the clusters area: the registry (the fleet overview, cluster detail and comparison compose
the domains' answers and live in :mod:`monitoring.views`)."""

from __future__ import annotations

from clusters.views.registry import cluster_list

__all__ = ["cluster_list"]

"""Pages of the clusters area: fleet overview (home), registry, cluster detail, comparison."""

from __future__ import annotations

from clusters.views.compare import compare_page
from clusters.views.detail import cluster_detail
from clusters.views.overview import overview
from clusters.views.registry import cluster_list

__all__ = ["cluster_detail", "cluster_list", "compare_page", "overview"]

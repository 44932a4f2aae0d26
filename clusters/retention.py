"""How far back a cluster's Prometheus keeps data, and refusing windows that start before it.

Prometheus reports its time-based retention in ``/api/v1/status/runtimeinfo``
(``storageRetention``: ``"15d"``, ``"30d or 100GiB"``, or only a size). The health
probe stores it on ``Cluster.capabilities["retention_seconds"]``. A window that
starts before what a cluster keeps would answer with silent gaps, so it is a 400
naming the parameter. Clusters behind a global querier (``label_selector``) and
queriers that do not report a retention (Thanos, Mimir): nothing is known,
nothing is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from kcloud.api.errors import BadParameter
from kcloud.timeutil import utcnow

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Prometheus durations: "15d", "1y2w", "90m" (a size such as "100GiB" is not a time).
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def parse_retention(text: str | None) -> int | None:
    """Seconds of time-based retention in ``storageRetention``, or None when only a size (or nothing) is set."""
    for part in (text or "").split(" or "):
        part = part.strip()
        if _DURATION.match(part):
            return int(sum(int(n) * _UNITS[u] for n, u in _PART.findall(part)))
    return None


def check_start(clusters: Iterable, start: datetime, parameter: str = "start", now: datetime | None = None) -> None:
    """Raise a 400 naming ``parameter`` when ``start`` is older than a selected cluster keeps data."""
    now = now or utcnow()
    short = []
    for cluster in clusters:
        seconds = (cluster.capabilities or {}).get("retention_seconds")
        if seconds and start < now - timedelta(seconds=seconds):
            short.append(f"{cluster.name} ({_days(seconds)})")
    if short:
        raise BadParameter(
            parameter,
            f"starts before the data kept by {', '.join(short)}; choose a later start or other clusters.",
        )


def _days(seconds: int) -> str:
    return f"{seconds // 86400} d" if seconds % 86400 == 0 else f"{seconds / 86400:.1f} d"

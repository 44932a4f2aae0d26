"""Component checks behind ``/api/v1/system/health``: database, cache, channel layer, clusters.

Each check is bounded in time and returns a status string; none raises. The
cluster probes are cached briefly so a load balancer polling health every few
seconds does not become load on every Prometheus.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection

from clusters.models import Cluster
from clusters.prometheus.fanout import fan_out

logger = logging.getLogger(__name__)

CLUSTER_STATUS_TTL_SECONDS = 15
_CLUSTER_STATUS_KEY = "system:health:clusters:v1"


def check_database() -> str:
    """``ok`` when a trivial query round-trips."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the same thing here
        logger.warning("health: database check failed: %s", exc.__class__.__name__)
        return "error"
    return "ok"


def check_cache() -> str:
    """``ok`` when a value written to the cache can be read back."""
    key = f"system:health:probe:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:  # the backend may raise or (django-redis) swallow errors
        logger.warning("health: cache check failed: %s", exc.__class__.__name__)
        return "error"
    return "ok" if ok else "error"


async def _channel_roundtrip() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    return message.get("type") == "health.ping"


def check_channel_layer() -> str:
    """``ok`` when a message sent to a fresh channel comes back."""
    try:
        ok = async_to_sync(_channel_roundtrip)()
    except Exception as exc:  # Redis down, timeout, misconfiguration
        logger.warning("health: channel layer check failed: %s", exc.__class__.__name__)
        return "error"
    return "ok" if ok else "error"


def check_clusters() -> list[dict]:
    """``[{name, status}]`` for every enabled cluster (readiness probe, cached briefly)."""
    try:
        cached = cache.get(_CLUSTER_STATUS_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    results = fan_out(list(Cluster.objects.enabled()), lambda client, _cluster: client.ready())
    rows = [{"name": r.cluster.name, "status": "ok" if r.status == "ok" and r.value else "error"} for r in results]
    try:
        cache.set(_CLUSTER_STATUS_KEY, rows, timeout=CLUSTER_STATUS_TTL_SECONDS)
    except Exception:
        logger.debug("health: could not cache cluster status")
    return rows


def overall_status(database: str, cache_status: str, channel_layer: str, clusters: list[dict]) -> str:
    """``down`` without a database; ``degraded`` when anything else is failing; else ``ok``."""
    if database != "ok":
        return "down"
    if cache_status != "ok" or channel_layer != "ok" or any(c["status"] != "ok" for c in clusters):
        return "degraded"
    return "ok"

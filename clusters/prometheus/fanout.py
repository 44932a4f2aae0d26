"""Run one function against many clusters in parallel and collect per-cluster outcomes.

A list endpoint calls :func:`fan_out` once; each cluster's result says whether it
answered, so one dead cluster degrades the answer instead of failing it. The
outcome dicts (:meth:`ClusterResult.outcome`) are what API list responses put in
``clusters: [{name, status, error, latency_ms}]``.

**Worker threads must not touch the database.** ``fn`` receives the client and
the already-loaded Cluster row; reading its fields is fine, but lazy relations,
deferred fields or new queries would open a DB connection in a pool thread that
Django never closes. Do the DB work before (and after) the fan-out. For the same
reason, and to avoid exhausting the pool, ``fn`` must not call :func:`fan_out`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.conf import settings

from clusters.crypto import CredentialDecryptionError
from clusters.prometheus.client import PrometheusClient, client_for
from clusters.prometheus.errors import PrometheusError, PrometheusTimeout

logger = logging.getLogger(__name__)

T = TypeVar("T")

INTERNAL_ERROR = "internal error"
TIMED_OUT = "timed out"


@dataclass
class ClusterResult(Generic[T]):
    """What one cluster contributed to a fan-out."""

    cluster: Any  # the Cluster row
    status: Literal["ok", "error"]
    value: T | None = None
    error: str | None = None
    error_code: str | None = None
    latency_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def outcome(self) -> dict:
        """The per-cluster entry of an API list response (the error in words the audience may see)."""
        from kcloud import audience

        return {
            "name": self.cluster.name,
            "status": self.status,
            "error": audience.error_text(self.error, self.error_code),
            "latency_ms": round(self.latency_ms, 1),
        }


def outcomes(results: Iterable[ClusterResult]) -> list[dict]:
    """``[r.outcome() for r in results]``: the ``clusters`` field of a list response."""
    return [result.outcome() for result in results]


def down_summary(results: Iterable[ClusterResult]) -> dict:
    """``{"total", "down": [{"name", "last_error"}]}``: what the pages' notice of dead clusters shows."""
    results = list(results)
    down = [{"name": r.cluster.name, "last_error": r.error} for r in results if not r.ok]
    return {"total": len(results), "down": down}


_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=settings.KCLOUD_FANOUT_WORKERS, thread_name_prefix="kcloud-fanout"
            )
        return _executor


def overall_timeout(cluster) -> float:
    """How long fan-out waits for one cluster: its timeout per attempt, plus a second of slack.

    The client itself keeps a call within about one timeout; this is the
    backstop for a ``fn`` making several calls or a body that trickles in.
    """
    return float(cluster.timeout_seconds or 10.0) * (settings.KCLOUD_PROMETHEUS_RETRIES + 1) + 1.0


def _run(cluster, fn: Callable[[PrometheusClient, Any], T]) -> ClusterResult[T]:
    started = time.monotonic()
    try:
        client = client_for(cluster)
        value = fn(client, cluster)
    except PrometheusError as exc:
        return ClusterResult(cluster, "error", error=exc.message, error_code=exc.code, latency_ms=_ms_since(started))
    except CredentialDecryptionError as exc:
        return ClusterResult(
            cluster, "error", error=str(exc), error_code="credentials_undecryptable", latency_ms=_ms_since(started)
        )
    except Exception:
        # A bug in fn must not fail the whole request: report it for this cluster, keep the traceback in the log.
        logger.exception("fan-out function failed for cluster %s", cluster.name)
        return ClusterResult(
            cluster, "error", error=INTERNAL_ERROR, error_code="internal_error", latency_ms=_ms_since(started)
        )
    return ClusterResult(cluster, "ok", value=value, latency_ms=_ms_since(started))


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000.0


def fan_out(clusters: Iterable[Any], fn: Callable[[PrometheusClient, Any], T]) -> list[ClusterResult[T]]:
    """Call ``fn(client, cluster)`` for every cluster in parallel; results in input order.

    Never raises for a cluster's failure: Prometheus errors and undecryptable
    credentials become ``status="error"`` with a readable message, any other
    exception "internal error" (logged with its traceback). A cluster that has
    not finished within :func:`overall_timeout` is reported "timed out"
    without waiting further; its thread finishes on its own (the client's
    deadline bounds it). ``fn`` must not touch the database (see the module
    docstring).
    """
    clusters = list(clusters)
    if not clusters:
        return []
    executor = _get_executor()
    started = time.monotonic()
    futures = [executor.submit(_run, cluster, fn) for cluster in clusters]
    results: list[ClusterResult[T]] = []
    for cluster, future in zip(clusters, futures, strict=True):
        # Deadlines count from the common start, so waiting in order costs the slowest cluster, not the sum.
        remaining = started + overall_timeout(cluster) - time.monotonic()
        try:
            results.append(future.result(timeout=max(0.0, remaining)))
        except concurrent.futures.TimeoutError:
            future.cancel()  # only helps if it never started (pool saturated)
            logger.warning("fan-out: cluster %s did not answer in %.1f s", cluster.name, overall_timeout(cluster))
            results.append(
                ClusterResult(
                    cluster,
                    "error",
                    error=TIMED_OUT,
                    error_code=PrometheusTimeout.code,
                    latency_ms=_ms_since(started),
                )
            )
    return results

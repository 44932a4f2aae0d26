"""Run one function against many clusters in parallel and collect per-cluster outcomes.

A list endpoint calls :func:`fan_out` once; each cluster's result says whether it
answered, so one dead cluster degrades the answer instead of failing it. The
outcome dicts (:meth:`ClusterResult.outcome`) are what API list responses put in
``clusters: [{name, status, error, latency_ms}]``.

**Worker threads must not touch the database.** ``fn`` receives the client and
the already-loaded Cluster row; reading its fields is fine, but lazy relations,
deferred fields or new queries would open a DB connection in a pool thread that
Django never closes. Do the DB work before (and after) the fan-out. To run
requests side by side inside ``fn``, use :func:`clusters.prometheus.threads.beside`
(it draws on the same request's thread budget), not another fan-out.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.conf import settings

from clusters.crypto import CredentialDecryptionError
from clusters.prometheus import threads
from clusters.prometheus.client import PrometheusClient, client_for
from clusters.prometheus.errors import PrometheusError, PrometheusTimeout
from kcloud import logs

logger = logging.getLogger(__name__)

T = TypeVar("T")

INTERNAL_ERROR = "internal error"
TIMED_OUT = "timed out"
BUSY = "server busy: the cluster's work could not start in time"
BUSY_CODE = "busy"


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
    exception "internal error" (logged with its traceback). A cluster whose
    work has run longer than :func:`overall_timeout` is reported "timed out"
    without waiting further; its thread finishes on its own (the client's
    deadline bounds it). The clock starts when the cluster's work starts, not
    when it was asked for: a healthy cluster that waited for a thread under load
    is not reported as timed out. One that could not start within
    ``KCLOUD_FANOUT_QUEUE_SECONDS`` is reported ``busy``. The clusters run on the
    shared pool within the request's thread budget (:mod:`clusters.prometheus.threads`).
    ``fn`` must not touch the database (see the module docstring).
    """
    clusters = list(clusters)
    if not clusters:
        return []
    with threads.request_budget() as budget:
        results = _FanOut(clusters, fn, budget).run()
    for result in results:
        logs.cluster_outcome(result.cluster.name, result.status, result.error_code)
    return results


class _FanOut(Generic[T]):
    """One fan-out's bookkeeping: which clusters wait, run (since when) and have answered."""

    def __init__(self, clusters: list[Any], fn: Callable[[PrometheusClient, Any], T], budget: threads.Budget) -> None:
        self.clusters = clusters
        self.fn = fn
        self.budget = budget
        self.pool = threads.pool()
        self.asked = time.monotonic()
        self.results: list[ClusterResult[T] | None] = [None] * len(clusters)
        self.started: dict[int, float] = {}  # index -> when its work started (written by the task)
        self.running: dict[concurrent.futures.Future, int] = {}
        self.next = 0

    def run(self) -> list[ClusterResult[T]]:
        queue_deadline = self.asked + settings.KCLOUD_FANOUT_QUEUE_SECONDS
        while self.next < len(self.clusters) or self.running:
            generation = self.pool.generation
            self._start_what_fits()
            self._collect()
            now = time.monotonic()
            if self.next < len(self.clusters) and not self.running and now >= queue_deadline:
                self._give_up_waiting()
                break
            if self.next >= len(self.clusters) and not self.running:
                break
            wake = [
                self.started[i] + overall_timeout(self.clusters[i]) for i in self.running.values() if i in self.started
            ]
            if self.next < len(self.clusters):
                wake.append(queue_deadline)
            # Woken early by any task starting or ending (ours or another request's thread coming back).
            self.pool.wait(generation, min(wake, default=now + 1.0) - now)
        return [r for r in self.results if r is not None]

    def _start_what_fits(self) -> None:
        while self.next < len(self.clusters):
            index = self.next
            future = self.pool.try_submit(lambda index=index: self._task(index), self.budget)
            if future is None:
                return
            self.running[future] = index
            self.next += 1

    def _task(self, index: int) -> ClusterResult[T]:
        self.started[index] = time.monotonic()
        self.pool.touch()  # the fan-out now has a deadline to watch
        return _run(self.clusters[index], self.fn)

    def _collect(self) -> None:
        now = time.monotonic()
        for future, index in list(self.running.items()):
            cluster = self.clusters[index]
            if future.done():
                self.results[index] = future.result()
            elif index in self.started and now - self.started[index] >= overall_timeout(cluster):
                logger.warning("fan-out: cluster %s did not answer in %.1f s", cluster.name, overall_timeout(cluster))
                self.results[index] = ClusterResult(
                    cluster,
                    "error",
                    error=TIMED_OUT,
                    error_code=PrometheusTimeout.code,
                    latency_ms=_ms_since(self.started[index]),
                )
            else:
                continue
            del self.running[future]

    def _give_up_waiting(self) -> None:
        for index in range(self.next, len(self.clusters)):
            cluster = self.clusters[index]
            logger.warning(
                "fan-out: no thread for cluster %s in %s s", cluster.name, settings.KCLOUD_FANOUT_QUEUE_SECONDS
            )
            self.results[index] = ClusterResult(
                cluster, "error", error=BUSY, error_code=BUSY_CODE, latency_ms=_ms_since(self.asked)
            )
        self.next = len(self.clusters)

"""Cluster health checks: reach each Prometheus, record version, latency and capabilities.

Used by the admin's "check connection" action, ``manage.py check_clusters``
and the system health endpoint. Probes run in parallel (fan-out); rows are
written afterwards in the calling thread, because worker threads must not
touch the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from clusters import capabilities
from clusters.models import Cluster
from clusters.prometheus.client import PrometheusClient
from clusters.prometheus.errors import PrometheusError
from clusters.prometheus.fanout import fan_out
from clusters.prometheus.promql import regex
from clusters.retention import parse_retention
from kcloud.timeutil import utcnow


@dataclass(frozen=True)
class Probe:
    """What one successful probe learned."""

    version: str
    capabilities: dict


@dataclass(frozen=True)
class HealthReport:
    """The outcome of checking one cluster."""

    cluster: Cluster
    ok: bool
    error: str | None
    latency_ms: float | None
    version: str | None

    def as_row(self) -> dict:
        return {
            "name": self.cluster.name,
            "status": "ok" if self.ok else "error",
            "error": self.error,
            "latency_ms": self.latency_ms,
            "prometheus_version": self.version,
        }


def _probe(client: PrometheusClient, cluster: Cluster) -> Probe:
    build = client.buildinfo()
    # Scoped metric names: a global querier serves many clusters, so only look at ours.
    match = [cluster.scope.sel(None)] if cluster.scope.matchers else None
    names = client.label_values("__name__", match=match)
    if not names and match:
        # Some global queriers (Prometheus federating over remote_read) answer label
        # lookups with "not implemented"; a grouping query works everywhere.
        result = client.query(f"group by (__name__) ({cluster.scope.sel(None, regex('__name__', '.+'))})")
        names = [s.labels["__name__"] for s in result.samples if "__name__" in s.labels]
    found = capabilities.detect(names)
    # A global querier's own retention says nothing about the remote data it serves.
    found["retention_seconds"] = None if cluster.scope.matchers else _retention(client)
    return Probe(version=str(build.get("version", "")), capabilities=found)


def _retention(client: PrometheusClient) -> int | None:
    # Only Prometheus itself answers runtimeinfo; a querier that does not is no less healthy.
    try:
        return parse_retention(client.runtimeinfo().get("storageRetention"))
    except PrometheusError:
        return None


def check_clusters(clusters: Iterable[Cluster], *, save: bool = True) -> list[HealthReport]:
    """Probe every cluster in parallel; with ``save``, record the outcome on each row."""
    reports = []
    now = utcnow()
    for result in fan_out(list(clusters), _probe):
        cluster = result.cluster
        probe: Probe | None = result.value if result.status == "ok" else None
        report = HealthReport(
            cluster=cluster,
            ok=probe is not None,
            error=None if probe else (result.error or "unknown error"),
            latency_ms=round(result.latency_ms, 1) if result.latency_ms is not None else None,
            version=probe.version if probe else None,
        )
        reports.append(report)
        if save:
            _record(cluster, report, probe, now)
    return reports


def _record(cluster: Cluster, report: HealthReport, probe: Probe | None, now) -> None:
    fields = {
        "last_checked_at": now,
        "last_status": Cluster.Status.OK if report.ok else Cluster.Status.ERROR,
        "last_error": report.error or "",
        "last_latency_ms": report.latency_ms,
    }
    if probe is not None:
        fields.update(last_ok_at=now, prometheus_version=probe.version, capabilities=probe.capabilities)
    # queryset.update: keeps updated_at (and so the cache version) unchanged by a mere check.
    Cluster.objects.filter(pk=cluster.pk).update(**fields)
    for key, value in fields.items():
        setattr(cluster, key, value)


# Health older than this is refreshed when a page is opened (probes run in parallel).
STALE_AFTER = timedelta(seconds=60)


def clusters_with_fresh_health(principal) -> list:
    """The visible clusters, their health re-probed when older than :data:`STALE_AFTER`."""
    clusters = list(principal.visible_clusters())
    now = utcnow()
    stale = [c for c in clusters if c.last_checked_at is None or now - c.last_checked_at > STALE_AFTER]
    if stale:
        check_clusters(stale)
    return clusters


def health_summary(clusters: list) -> dict:
    """The shape ``clusters/_down_notice.html`` expects, from recorded health."""
    down = [c for c in clusters if c.last_status != "ok"]
    return {"total": len(clusters), "ok": len(clusters) - len(down), "down": down}
